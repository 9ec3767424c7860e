/**
 * The ledger's Kafka loop. Offsets live in Postgres (written in the batch's
 * own transaction); on assignment the consumer seeks to them. Kafka's own
 * committed offset is only a hint, committed after Postgres, so it is never
 * ahead of what was settled.
 */
import type { Consumer, EachBatchPayload, Kafka, Logger } from '@fare/platform'
import type { Db } from '@fare/db'
import { settleBatch, type SettleResult } from './settle.ts'
import type { Pricer } from './pricing.ts'

export interface LedgerConsumerOptions {
  kafka: Kafka
  db: Db
  logger: Logger
  topic: string
  consumerGroup: string
  pricer: Pricer
  maxBytesPerPartition?: number
  onSettled?: (result: SettleResult, seconds: number, partition: number) => void
}

export interface LedgerConsumer {
  start(): Promise<void>
  /** Finishes the batch in hand, then leaves the group. */
  stop(): Promise<void>
  readonly consumer: Consumer
}

class PartitionRevokedError extends Error {}

export function createLedgerConsumer(options: LedgerConsumerOptions): LedgerConsumer {
  const { kafka, db, logger, topic, consumerGroup, pricer } = options
  const consumer = kafka.consumer({
    groupId: consumerGroup,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    rebalanceTimeout: 20_000,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 1024 * 1024,
    retry: { retries: 10 },
  })

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

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale, heartbeat, resolveOffset, commitOffsetsIfNecessary } = payload
    if (batch.messages.length === 0 || !isRunning() || isStale()) return
    const started = process.hrtime.bigint()
    let result: SettleResult
    try {
      result = await settleBatch(db, { consumerGroup, topic, partition: batch.partition, messages: batch.messages }, pricer, {
        assertStillOwned: () => {
          if (isStale()) throw new PartitionRevokedError(`partition ${batch.partition} was revoked`)
        },
      })
    } catch (err) {
      if (err instanceof PartitionRevokedError) {
        logger.info({ partition: batch.partition }, 'partition revoked mid-batch; rolled back')
        return
      }
      throw err // kafkajs retries the batch; nothing of it was committed
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    for (const r of result.rejected) logger.warn({ partition: batch.partition, offset: r.offset, reason: r.reason }, 'tap record rejected')
    resolveOffset(batch.lastOffset())
    await commitOffsetsIfNecessary()
    await heartbeat()
    options.onSettled?.(result, seconds, batch.partition)
  }

  return {
    consumer,
    async start() {
      await consumer.connect()
      await consumer.subscribe({ topic, fromBeginning: true })
      await consumer.run({ eachBatchAutoResolve: false, autoCommit: true, autoCommitInterval: 1000, partitionsConsumedConcurrently: 3, eachBatch })
    },
    async stop() {
      await consumer.disconnect()
    },
  }
}
