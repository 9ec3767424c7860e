import type { Logger } from './logger.ts'

export interface RetryOptions {
  logger: Logger
  /** Aborting stops the retries (a service shutting down). */
  signal?: AbortSignal
  initialDelayMs?: number
  maxDelayMs?: number
}

/**
 * Runs `attempt` until it resolves, waiting between failures (doubling from
 * `initialDelayMs` up to `maxDelayMs`). This is how a service connects to
 * Kafka: it starts, listens and reports not-ready while the broker is away,
 * and connects when it is back, instead of exiting. Resolves true once an
 * attempt succeeded, false when `signal` aborted first.
 */
export async function retryWithBackoff(what: string, attempt: () => Promise<void>, options: RetryOptions): Promise<boolean> {
  const maxDelayMs = options.maxDelayMs ?? 5000
  let delayMs = options.initialDelayMs ?? 250
  for (let failures = 0; ; failures++) {
    if (options.signal?.aborted) return false
    try {
      await attempt()
      if (failures > 0) options.logger.info({ failures }, `${what}: connected`)
      return true
    } catch (err) {
      if (options.signal?.aborted) return false
      options.logger.warn({ err: { name: (err as Error).name, message: (err as Error).message }, retryInMs: delayMs }, `${what}: failed; retrying`)
    }
    await sleep(delayMs, options.signal)
    delayMs = Math.min(maxDelayMs, delayMs * 2)
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}

/** Rejects with `message` if `promise` has not settled within `ms` (the promise itself runs on). */
export function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms)
    }),
  ])
}
