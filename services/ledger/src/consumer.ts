/**
 * The ledger's Kafka loop. Offsets live in Postgres (written in the batch's
 * own transaction); on assignment the consumer seeks to them. Kafka's own
 * committed offset is only a hint, committed after Postgres, so it is never
 * ahead of what was settled. A partition revoked mid-batch commits nothing.
 */
import { KeyPartitioner, type Consumer, type EachBatchPayload, type Kafka, type Logger, type Producer } from '@fare/platform'
import type { Db } from '@fare/db'
import { settleBatch, type RejectedRecord, type SettleOptions, type SettleResult } from './settle.ts'

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
  onSettled?: (result: SettleResult, seconds: number, partition: number) => void
  /** Per-phase wall time inside each batch (profiling, the bench). */
  onPhase?: (phase: string, ms: number) => void
}

export interface LedgerConsumer {
  start(): Promise<void>
  /** Finishes the batch in hand, then leaves the group. */
  stop(): Promise<void>
  readonly consumer: Consumer
}

class PartitionRevokedError extends Error {}

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
    const stored = await db
      .selectFrom('kafka_offsets')
      .select(['partition', 'next_offset'])
      .where('consumer_group', '=', consumerGroup)
      .where('topic', '=', topic)
      .where('partition', 'in', partitions)
      .execute()
    for (const row of stored) consumer.seek({ topic, partition: row.partition, offset: row.next_offset })
    logger.info({ partitions, seeked: stored.length }, 'partitions assigned')
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
    const started = process.hrtime.bigint()
    let result: SettleResult
    try {
      result = await settleBatch(db, { consumerGroup, topic, partition: batch.partition, messages: batch.messages, highWatermark: batch.highWatermark }, options.settle, {
        onTopicRecreated: (storedNextOffset, highWatermark) =>
          logger.warn({ partition: batch.partition, storedNextOffset, highWatermark }, 'stored offset is past the end of the partition: the topic was recreated; reading it from the start (tap ids keep this idempotent)'),
        assertStillOwned: () => {
          if (isStale()) throw new PartitionRevokedError(`partition ${batch.partition} was revoked`)
        },
        publishRejected: (rejected) => publishRejected(batch.partition, rejected),
        ...(options.onPhase ? { onPhase: options.onPhase } : {}),
      })
    } catch (err) {
      if (err instanceof PartitionRevokedError) {
        logger.info({ partition: batch.partition }, 'partition revoked mid-batch; rolled back')
        return
      }
      logger.error({ err, partition: batch.partition, firstOffset: batch.firstOffset() }, 'batch failed; rolled back, will retry')
      throw err // kafkajs retries the batch; nothing of it was committed
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    for (const r of result.rejected) logger.warn({ partition: batch.partition, offset: r.offset, code: r.code, detail: r.detail }, 'tap record rejected')
    resolveOffset(batch.lastOffset())
    await commitOffsetsIfNecessary()
    await heartbeat()
    options.onSettled?.(result, seconds, batch.partition)
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
