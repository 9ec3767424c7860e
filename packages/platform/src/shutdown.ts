import type { Logger } from './logger.ts'

/**
 * Runs the closers in order on SIGTERM or SIGINT (each finishes the work in
 * hand before it resolves), then exits. A second signal, or a close that takes
 * longer than `timeoutMs`, exits at once: a stuck shutdown must not hang a deploy.
 */
export function onShutdown(logger: Logger, closers: (() => Promise<void>)[], timeoutMs = 30_000): void {
  let closing = false
  const shutdown = async (signal: string): Promise<void> => {
    if (closing) {
      logger.warn({ signal }, 'second signal: exiting now')
      process.exit(1)
    }
    closing = true
    logger.info({ signal }, 'shutting down')
    const timer = setTimeout(() => {
      logger.error('shutdown timed out')
      process.exit(1)
    }, timeoutMs)
    timer.unref()
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
    process.exit(code)
  }
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
  process.once('SIGINT', () => void shutdown('SIGINT'))
}
