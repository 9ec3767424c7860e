/**
 * The one module that knows kafkajs, so the client can be swapped later
 * (docs/operations.md). Services get a Kafka factory whose logs go through pino.
 */
import { Kafka, type KafkaConfig, type LogEntry, logLevel } from 'kafkajs'
import type { Logger } from './logger.ts'

export type { Admin, Consumer, EachBatchPayload, KafkaMessage, Message, Producer, RecordMetadata } from 'kafkajs'
export { CompressionTypes, Kafka, Partitioners } from 'kafkajs'

const LEVEL_NAMES: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
}

export function createKafka(options: { brokers: string[]; clientId: string; logger: Logger; connectionTimeoutMs?: number; retries?: number }): Kafka {
  const kafkaLogger = options.logger.child({ component: 'kafkajs' })
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    retry: { retries: options.retries ?? 5, initialRetryTime: 200, maxRetryTime: 2000 },
    // kafkajs is chatty at INFO about every group join; WARN and up are what the on-call engineer needs.
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...extra } = entry.log
      kafkaLogger[LEVEL_NAMES[entry.level] ?? 'info']({ ...extra, namespace: entry.namespace }, message)
    },
  }
  return new Kafka(config)
}

/** Creates topics if missing; a no-op for topics that exist (so start is idempotent). */
export async function ensureTopics(kafka: Kafka, topics: { topic: string; numPartitions: number }[]): Promise<void> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const existing = new Set(await admin.listTopics())
    const missing = topics.filter((t) => !existing.has(t.topic))
    if (missing.length > 0) {
      await admin.createTopics({ waitForLeaders: true, topics: missing.map((t) => ({ ...t, replicationFactor: 1 })) })
    }
  } finally {
    await admin.disconnect()
  }
}
