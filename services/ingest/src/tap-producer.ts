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
 */
import { KeyPartitioner, type Kafka, type Producer } from '@fare/platform'
import type { TapRecord } from './tap-record.ts'

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
}

export class ProduceTimeoutError extends Error {
  override name = 'ProduceTimeoutError'
}

interface Waiter {
  resolve: () => void
  reject: (err: unknown) => void
}

export async function createKafkaTapSink(kafka: Kafka, options: KafkaTapSinkOptions): Promise<TapSink> {
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: KeyPartitioner, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 } })
  await producer.connect()
  const admin = kafka.admin()
  await admin.connect()
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
        () => batchWaiters.forEach((w) => w.resolve()),
        (err: unknown) => batchWaiters.forEach((w) => w.reject(err)),
      )
  }

  return {
    send(records) {
      if (records.length === 0) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        // The deadline is per request: it settles this promise once, and a late
        // ack after it changes nothing (the answer was a 503; the tap is re-sent
        // and the ledger ignores the duplicate).
        let settled = false
        const deadline = setTimeout(() => {
          if (settled) return
          settled = true
          reject(new ProduceTimeoutError(`no acknowledgement from Kafka within ${options.timeoutMs} ms`))
        }, options.timeoutMs)
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
    },
    async ready() {
      await admin.fetchTopicMetadata({ topics: [options.topic] })
    },
    async close() {
      flush()
      await producer.disconnect()
      await admin.disconnect()
    },
  }
}
