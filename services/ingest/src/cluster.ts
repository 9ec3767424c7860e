/**
 * Several ingest processes behind one port (node:cluster). One Node process
 * spends a whole core on TLS, JSON and checking taps, so on a multi-core host
 * more processes accept more taps. The primary only forks, restarts a worker
 * that dies, passes SIGTERM on, and gathers the workers' metrics for /metrics;
 * each worker is a complete ingest with its own Kafka producer, so `accepted`
 * still means "Kafka acknowledged".
 */
import cluster from 'node:cluster'
import { serveClusterMetrics, type Logger } from '@fare/platform'

export function runPrimary(workers: number, logger: Logger): void {
  let stopping = false
  serveClusterMetrics()
  const fork = () => cluster.fork()
  for (let i = 0; i < workers; i++) fork()
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info('stopped')
        process.exit(0)
      }
      return
    }
    logger.error({ worker: worker.process.pid, code, signal }, 'ingest worker died; starting another')
    fork()
  })
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down workers')
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM')
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
}
