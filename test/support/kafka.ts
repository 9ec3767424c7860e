/**
 * Each test file gets topics and a consumer group of its own on the real
 * broker (started by .ci/run or `pnpm kafka start`), so files run in parallel.
 */
import { randomBytes } from 'node:crypto'
import { createKafka, createLogger, ensureTopics, type Kafka, type Logger } from '@fare/platform'

export const TEST_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')

export interface TestTopics {
  kafka: Kafka
  logger: Logger
  taps: string
  dlq: string
  group: string
}

export async function createTestTopics(prefix: string, partitions = 6): Promise<TestTopics> {
  const id = randomBytes(4).toString('hex')
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', name: prefix })
  const kafka = createKafka({ brokers: TEST_BROKERS, clientId: `test-${prefix}`, logger })
  const topics = { taps: `${prefix}-taps-${id}`, dlq: `${prefix}-dlq-${id}` }
  await ensureTopics(kafka, [
    { topic: topics.taps, numPartitions: partitions },
    { topic: topics.dlq, numPartitions: 1 },
  ])
  return { kafka, logger, ...topics, group: `${prefix}-ledger-${id}` }
}
