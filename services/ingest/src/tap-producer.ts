/**
 * Puts tap events on the `taps` topic, keyed by card token, with acks=all.
 * `send` resolves only once Kafka has acknowledged every record, which is what
 * lets ingest answer `accepted`.
 *
 * Concurrent requests' records are coalesced into one producer send (a short
 * linger, like Kafka's own linger.ms): one produce request per partition
 * leader for many HTTP requests, each request awaiting its own records' ack.
 * A send that has not been acknowledged within `timeoutMs` fails, so a slow or
 * dead broker turns into a bounded 503, never a hanging request.
 *
 * The sink connects in the background and keeps trying, with backoff, until
 * Kafka answers: an ingest started while the broker is down serves, says
 * not-ready, and answers taps 503 until it has connected.
 */

import type { TapRecord } from '@fare/contracts'
import { createLogger, type Kafka, KeyPartitioner, type Logger, type Producer, retryWithBackoff, withDeadline } from '@fare/platform'

export interface TapSink {
  send(records: readonly TapRecord[]): Promise<void>
  ready(): Promise<void>
  close(): Promise<void>
}

export interface KafkaTapSinkOptions {
  topic: string
  /** Upper bound on waiting for Kafka's acknowledgement of one request's records. */
  timeoutMs: number
  /** How long records wait for company before a send (0 = send on the next tick). */
  lingerMs?: number
  /** A pending batch this large is sent at once. */
  maxBatchRecords?: number
  /** Where the background connection's failures are logged (silent without). */
  logger?: Logger
}

export class ProduceTimeoutError extends Error {
  override name = 'ProduceTimeoutError'
}

export class KafkaNotConnectedError extends Error {
  override name = 'KafkaNotConnectedError'
}

const silentLogger: Logger = createLogger({ level: 'silent', name: 'tap-sink' })

/** How long a readiness check waits for a first connection still under way (within /readyz's own 2 s). */
const READY_CONNECT_WAIT_MS = 1500

/** How long closing waits for each Kafka client to disconnect (a broker that is gone must not hold a shutdown). */
const DISCONNECT_TIMEOUT_MS = 3000

interface Waiter {
  resolve: () => void
  reject: (err: unknown) => void
}

export function createKafkaTapSink(kafka: Kafka, options: KafkaTapSinkOptions): TapSink {
  const producer: Producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: KeyPartitioner,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
  })
  const admin = kafka.admin()
  const closing = new AbortController()
  let connected = false
  let failedAttempts = 0
  const connection = retryWithBackoff(
    'Kafka producer',
    async () => {
      try {
        await producer.connect()
        await admin.connect()
      } catch (err) {
        failedAttempts++
        throw err
      }
    },
    { logger: options.logger ?? silentLogger, signal: closing.signal },
  ).then((ok) => {
    connected = ok
  })

  /** Resolves once connected; rejects at once while Kafka is known to be away, or when the wait would outlast `ms`. */
  async function whenConnected(ms: number): Promise<void> {
    if (connected) return
    if (failedAttempts > 0) throw new KafkaNotConnectedError('not connected to Kafka yet (the broker did not answer; retrying)')
    await withDeadline(connection, ms, 'not connected to Kafka yet (connecting)')
    if (!connected) throw new KafkaNotConnectedError('the tap sink is closed')
  }

  const lingerMs = options.lingerMs ?? 2
  const maxBatchRecords = options.maxBatchRecords ?? 2000

  let pending: TapRecord[] = []
  let waiters: Waiter[] = []
  let timer: NodeJS.Timeout | undefined

  function flush(): void {
    if (timer) clearTimeout(timer)
    timer = undefined
    if (pending.length === 0) return
    const records = pending
    const batchWaiters = waiters
    pending = []
    waiters = []
    producer
      .send({
        topic: options.topic,
        acks: -1,
        timeout: options.timeoutMs,
        messages: records,
      })
      .then(
        () => {
          for (const w of batchWaiters) w.resolve()
        },
        (err: unknown) => {
          for (const w of batchWaiters) w.reject(err)
        },
      )
  }

  /** Queues records for the next send; resolves on Kafka's ack, rejects after `ms`. */
  function enqueue(records: readonly TapRecord[], ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // The deadline is per request: it settles this promise once, and a late
      // ack after it changes nothing (the answer was a 503; the tap is re-sent
      // and the ledger ignores the duplicate).
      let settled = false
      const deadline = setTimeout(() => {
        if (settled) return
        settled = true
        reject(new ProduceTimeoutError(`no acknowledgement from Kafka within ${options.timeoutMs} ms`))
      }, ms)
      const settle = (fn: () => void) => () => {
        if (settled) return
        settled = true
        clearTimeout(deadline)
        fn()
      }
      waiters.push({ resolve: settle(resolve), reject: (err) => settle(() => reject(err))() })
      for (const record of records) pending.push(record)
      if (pending.length >= maxBatchRecords || lingerMs === 0) flush()
      else timer ??= setTimeout(flush, lingerMs)
    })
  }

  return {
    async send(records) {
      if (records.length === 0) return
      const started = Date.now()
      await whenConnected(options.timeoutMs)
      await enqueue(records, Math.max(1, options.timeoutMs - (Date.now() - started)))
    },
    async ready() {
      await whenConnected(READY_CONNECT_WAIT_MS)
      await admin.fetchTopicMetadata({ topics: [options.topic] })
    },
    async close() {
      closing.abort()
      flush()
      const disconnect = (client: { disconnect(): Promise<void> }) =>
        withDeadline(client.disconnect(), DISCONNECT_TIMEOUT_MS, 'Kafka client did not disconnect in time')
      await Promise.allSettled([disconnect(producer), disconnect(admin)])
    },
  }
}
