import { createDb } from '@fare/db'
import { createKafka, createLogger, createMetricsRegistry, ensureTopics, onShutdown } from '@fare/platform'
import { buildApp } from './app.ts'
import { readLedgerConfig } from './config.ts'
import { createLedgerConsumer } from './consumer.ts'
import { createLedgerMetrics } from './metrics.ts'
import { createStallWatch } from './stall.ts'
import { createTariffBook } from './tariffs.ts'

const config = readLedgerConfig()
const logger = createLogger({ level: config.logLevel, name: 'ledger' })
const db = createDb(config.databaseUrl, {
  applicationName: 'ledger',
  maxConnections: config.partitionsConsumedConcurrently + 3,
  onIdleConnectionError: (err) => logger.warn({ err }, 'idle Postgres connection lost; the pool reconnects'),
})
const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: 'ledger', logger })
const registry = createMetricsRegistry('ledger')
const metrics = createLedgerMetrics(registry)

const ledger = createLedgerConsumer({
  kafka,
  db,
  logger,
  topic: config.tapsTopic,
  dlqTopic: config.dlqTopic,
  consumerGroup: config.consumerGroup,
  settle: {
    tariffs: createTariffBook(),
    creditRides: config.creditRides,
    maxTapAgeDays: config.maxTapAgeDays,
    maxFutureSkewSeconds: config.maxFutureSkewSeconds,
  },
  maxBytesPerPartition: config.maxBytesPerPartition,
  partitionsConsumedConcurrently: config.partitionsConsumedConcurrently,
  sessionTimeoutMs: config.sessionTimeoutMs,
  onSettled: (result, seconds, partition) => metrics.observe(result, seconds, partition),
  onRetry: (kind) => metrics.retried(kind),
})
// Rejected records must have somewhere to go, or a bad record would hold its partition.
await ensureTopics(kafka, [{ topic: config.dlqTopic, numPartitions: 1 }])
const admin = kafka.admin()
await admin.connect()
const stallWatch = createStallWatch({ stallSeconds: config.stallSeconds, logger })
const lagTimer = setInterval(() => {
  metrics
    .updateLag(admin, db, config.tapsTopic, config.consumerGroup)
    .then((progress) => stallWatch.observe(progress))
    .catch((err: unknown) => logger.warn({ err }, 'lag update failed'))
    .finally(() => metrics.setStalled(stallWatch.stalled()))
}, config.lagIntervalMs)
lagTimer.unref()
const app = await buildApp({ logger, db, registry, kafkaReady: async () => void (await admin.fetchTopicMetadata({ topics: [config.tapsTopic] })), stalled: () => stallWatch.stalled() })
onShutdown(logger, [
  async () => clearInterval(lagTimer),
  () => ledger.stop(),
  () => app.close(),
  () => admin.disconnect(),
  () => db.destroy(),
])
await ledger.start()
await app.listen({ host: config.host, port: config.port })
logger.info({ topic: config.tapsTopic, group: config.consumerGroup }, 'ledger started')
