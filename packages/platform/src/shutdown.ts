import cluster from 'node:cluster'
import type { Logger } from './logger.ts'

/**
 * How long a service may take to stop once asked (docs/operations.md). Under
 * the 30 s a supervisor such as Kubernetes waits before it kills.
 */
export const SHUTDOWN_TIMEOUT_MS = 20_000

/**
 * Exits after the streams of a dead parent have finished closing. When the
 * parent was killed, stdout (a socket to it) and the IPC channel close
 * together; a process.exit right after a fast shutdown (the api's takes 2 ms)
 * hung for good, and the api ran on as an orphan (found by the npm-start test;
 * a timer turn later it exits).
 */
function exitOutsideEvents(code: number): void {
  setTimeout(() => process.exit(code), 50)
}

/**
 * Calls `stop` once when the process is asked to stop: SIGTERM, SIGINT, or the
 * IPC channel to its parent closing (a parent that started the service with an
 * IPC channel, as `npm start` does, died without passing a signal on). A second
 * request exits at once. Cluster workers are left to node:cluster, which ends
 * a worker whose primary is gone.
 */
export function onStopRequest(logger: Logger, stop: (reason: string) => void): void {
  let requested = false
  const request = (reason: string): void => {
    if (requested) {
      logger.warn({ reason }, 'second stop request: exiting now')
      process.exit(1)
    }
    requested = true
    stop(reason)
  }
  process.on('SIGTERM', () => request('SIGTERM'))
  process.on('SIGINT', () => request('SIGINT'))
  // process.send exists when the parent gave an IPC channel; if that channel
  // already closed (the parent died while this process was still loading),
  // the 'disconnect' event is past, so look at the state too.
  if (typeof process.send === 'function' && !cluster.isWorker) {
    if (process.connected) process.once('disconnect', () => request('parent exited'))
    else request('parent exited')
  }
}

/**
 * Runs the closers in order when the process is asked to stop (each finishes
 * the work in hand before it resolves), then exits. A second request, or a
 * close that takes longer than `timeoutMs`, exits at once: a stuck shutdown
 * (a Kafka client retrying a broker that is gone) must not hang a deploy.
 * Call it before anything that waits on Kafka, so a signal is honoured at any
 * time after start.
 */
export function onShutdown(logger: Logger, closers: (() => Promise<void>)[], timeoutMs = SHUTDOWN_TIMEOUT_MS): void {
  onStopRequest(logger, (reason) => {
    logger.info({ signal: reason }, 'shutting down')
    setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out; exiting now')
      process.exit(1)
    }, timeoutMs).unref()
    void (async () => {
      let code = 0
      for (const close of closers) {
        try {
          await close()
        } catch (err) {
          code = 1
          logger.error({ err }, 'error while shutting down')
        }
      }
      logger.info('stopped')
      logger.flush?.()
      exitOutsideEvents(code)
    })()
  })
}
