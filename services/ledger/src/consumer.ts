/**
 * The ledger's Kafka loop. Offsets live in Postgres (written in the batch's
 * own transaction); on assignment the consumer seeks to them. Kafka's own
 * committed offset is only a hint, committed after Postgres, so it is never
 * ahead of what was settled. A partition revoked mid-batch commits nothing.
 * A batch that fails is never retried blindly forever: a record at fault is
 * found and dead-lettered (isolate.ts), and a failure that is no record's
 * fault is retried after a growing pause, with the group kept informed.
 */

import type { Db } from '@fare/db'
import { type Consumer, type EachBatchPayload, type Kafka, KeyPartitioner, type Logger, type Producer } from '@fare/platform'
import { backoffMs, describeError, type IsolationSteps, isTransient, PartitionRevokedError, settleIsolating } from './isolate.ts'
import { deadLetterRecord, type RejectedRecord, type SettleHooks, type SettleOptions, type SettleResult, settleBatch } from './settle.ts'

export interface LedgerConsumerOptions {
  kafka: Kafka
  db: Db
  logger: Logger
  topic: string
  /** Where rejected records go (default `taps.dlq`). */
  dlqTopic?: string
  consumerGroup: string
  settle: SettleOptions
  maxBytesPerPartition?: number
  partitionsConsumedConcurrently?: number
  /** How long a silent member keeps its partitions (a crashed ledger's are reassigned after this). */
  sessionTimeoutMs?: number
  /** After each committed transaction (a whole batch, a part of one, or a dead-lettered record). */
  onSettled?: (result: SettleResult, seconds: number, partition: number) => void
  /** A failed batch retried: `split` (searching for a record at fault) or `transient` (after a pause). */
  onRetry?: (kind: 'split' | 'transient') => void
  /** The longest pause between retries of a batch that failed for no record's fault (default 30 s). */
  maxRetryDelayMs?: number
  /** Per-phase wall time inside each batch (profiling, the bench). */
  onPhase?: (phase: string, ms: number) => void
}

export interface LedgerConsumer {
  start(): Promise<void>
  /** Finishes the batch in hand, then leaves the group. */
  stop(): Promise<void>
  readonly consumer: Consumer
}

export function createLedgerConsumer(options: LedgerConsumerOptions): LedgerConsumer {
  const { kafka, db, logger, topic, consumerGroup } = options
  const dlqTopic = options.dlqTopic ?? 'taps.dlq'
  const consumer = kafka.consumer({
    groupId: consumerGroup,
    sessionTimeout: options.sessionTimeoutMs ?? 10_000,
    heartbeatInterval: 1000,
    rebalanceTimeout: 20_000,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 4 * 1024 * 1024,
    retry: { retries: 10 },
  })
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: KeyPartitioner })

  consumer.on(consumer.events.GROUP_JOIN, async ({ payload }) => {
    const partitions = payload.memberAssignment[topic] ?? []
    if (partitions.length === 0) return
    try {
      const stored = await db
        .selectFrom('kafka_offsets')
        .select(['partition', 'next_offset'])
        .where('consumer_group', '=', consumerGroup)
        .where('topic', '=', topic)
        .where('partition', 'in', partitions)
        .execute()
      for (const row of stored) consumer.seek({ topic, partition: row.partition, offset: row.next_offset })
      logger.info({ partitions, seeked: stored.length }, 'partitions assigned')
    } catch (err) {
      // Postgres unavailable at the join: reading from Kafka's committed offset (never ahead of
      // Postgres) is safe, since each batch skips what its stored offset says was settled.
      logger.warn({ err, partitions }, 'partitions assigned; stored offsets unreadable, reading from the committed offsets')
    }
  })

  async function publishRejected(partition: number, rejected: readonly RejectedRecord[]): Promise<void> {
    await producer.send({
      topic: dlqTopic,
      acks: -1,
      messages: rejected.map((r) => ({
        key: r.message.key,
        value: r.message.value,
        headers: {
          'x-reject-code': r.code,
          'x-reject-detail': r.detail.slice(0, 1000),
          'x-source-topic': topic,
          'x-source-partition': String(partition),
          'x-source-offset': r.offset,
        },
      })),
    })
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale, heartbeat, resolveOffset, commitOffsetsIfNecessary } = payload
    if (batch.messages.length === 0 || !isRunning() || isStale()) return
    const { partition } = batch
    const key = { consumerGroup, topic, partition, ...(batch.highWatermark ? { highWatermark: batch.highWatermark } : {}) }
    const hooks: SettleHooks = {
      onTopicRecreated: (storedNextOffset, highWatermark) =>
        logger.warn(
          { partition, storedNextOffset, highWatermark },
          'stored offset is past the end of the partition: the topic was recreated; reading it from the start (tap ids keep this idempotent)',
        ),
      assertStillOwned: () => {
        if (isStale()) throw new PartitionRevokedError(`partition ${partition} was revoked`)
      },
      publishRejected: (rejected) => publishRejected(partition, rejected),
      ...(options.onPhase ? { onPhase: options.onPhase } : {}),
    }
    const steps: IsolationSteps = {
      settle: async (messages) => {
        const started = process.hrtime.bigint()
        const result = await settleBatch(db, { ...key, messages }, options.settle, hooks)
        settled(result, Number(process.hrtime.bigint() - started) / 1e9, partition)
        return result
      },
      deadLetter: async (message, err) => {
        const detail = describeError(err)
        const result = await deadLetterRecord(db, key, message, detail, hooks)
        if (result.rejected.length > 0)
          logger.error({ partition, offset: message.offset, err }, 'record dead-lettered: its transaction failed on its own (SETTLE_FAILED)')
        settled(result, 0, partition)
        return result
      },
      onSplit: (messages, err) => {
        options.onRetry?.('split')
        logger.warn(
          { partition, firstOffset: messages[0]?.offset, records: messages.length, err },
          'batch failed; rolled back, settling it in halves to find the record at fault',
        )
      },
      between: () => heartbeat().catch(() => undefined),
    }

    // Failures that are no record's fault (Postgres or the DLQ unavailable): the whole batch again, after a growing pause.
    for (let attempt = 1; ; attempt++) {
      try {
        await settleIsolating(batch.messages, steps)
        break
      } catch (err) {
        if (err instanceof PartitionRevokedError) {
          logger.info({ partition }, 'partition revoked mid-batch; rolled back')
          return
        }
        // Not a record's fault (or, rarely, dead-lettering itself failed): nothing of the part in hand was committed.
        const delayMs = backoffMs(attempt, options.maxRetryDelayMs)
        options.onRetry?.('transient')
        const why = isTransient(err) ? "not the records' fault" : 'dead-lettering failed'
        logger.error(
          { err, partition, firstOffset: batch.firstOffset(), attempt, retryInMs: delayMs },
          `batch failed (${why}); rolled back, retrying after a pause`,
        )
        if (!(await pause(delayMs, heartbeat, () => isRunning() && !isStale()))) return
      }
    }
    resolveOffset(batch.lastOffset())
    await commitOffsetsIfNecessary()
    await heartbeat()
  }

  function settled(result: SettleResult, seconds: number, partition: number): void {
    for (const r of result.rejected) logger.warn({ partition, offset: r.offset, code: r.code, detail: r.detail }, 'tap record rejected')
    options.onSettled?.(result, seconds, partition)
  }

  return {
    consumer,
    async start() {
      await producer.connect()
      await consumer.connect()
      await consumer.subscribe({ topic, fromBeginning: true })
      await consumer.run({
        eachBatchAutoResolve: false,
        autoCommit: true,
        autoCommitInterval: 1000,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 3,
        eachBatch,
      })
    },
    async stop() {
      await consumer.disconnect()
      await producer.disconnect()
    },
  }
}

/** Waits `ms`, heartbeating each second; false as soon as `stillWanted` is not (stopping, or the partition moved). */
async function pause(ms: number, heartbeat: () => Promise<void>, stillWanted: () => boolean): Promise<boolean> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (!stillWanted()) return false
    await new Promise((r) => setTimeout(r, Math.min(1000, until - Date.now())))
    await heartbeat().catch(() => undefined)
  }
  return stillWanted()
}
