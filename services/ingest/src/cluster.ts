/**
 * Several ingest processes behind one port (node:cluster). One Node process
 * spends a whole core on TLS, JSON and checking taps, so on a multi-core host
 * more processes accept more taps. The primary only forks, restarts a worker
 * that dies, passes SIGTERM on (also when its own parent goes), and gathers
 * the workers' metrics for /metrics; each worker is a complete ingest with
 * its own Kafka producer, so `accepted` still means "Kafka acknowledged".
 */
import cluster, { type Worker } from 'node:cluster'
import { type Logger, onStopRequest, SHUTDOWN_TIMEOUT_MS, serveClusterMetrics } from '@fare/platform'

export function runPrimary(workers: number, logger: Logger): void {
  let stopping = false
  serveClusterMetrics()
  const fork = () => cluster.fork()
  // A worker leaves cluster.workers only once both its exit and its IPC
  // disconnect are seen, in either order; its own exit is what counts here.
  const alive = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead())
  for (let i = 0; i < workers; i++) fork()
  const exitOnceAllStopped = () => {
    if (alive().length > 0) return
    logger.info('stopped')
    process.exit(0)
  }
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return exitOnceAllStopped()
    logger.error({ worker: worker.process.pid, code, signal }, 'ingest worker died; starting another')
    fork()
  })
  onStopRequest(logger, (reason) => {
    stopping = true
    logger.info({ signal: reason }, 'shutting down workers')
    for (const worker of alive()) worker.process.kill('SIGTERM')
    exitOnceAllStopped()
    // Each worker exits within the bound by itself; this is the backstop, so
    // the primary never outlives it waiting on a worker that hangs.
    setTimeout(() => {
      logger.error({ workers: alive().map((w) => w.process.pid) }, 'workers still running after the shutdown bound; killing them')
      for (const worker of alive()) worker.process.kill('SIGKILL')
      process.exit(1)
    }, SHUTDOWN_TIMEOUT_MS + 1000).unref()
  })
}
