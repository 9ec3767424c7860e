import { TAPS_PARTITIONS } from '@fare/contracts'
import { createDb } from '@fare/db'
import { createKafka, createLogger, createMetricsRegistry, ensureTopics, onShutdown, retryWithBackoff, withDeadline } from '@fare/platform'
import { createTariffBook } from '@fare/tariffs'
import { buildApp } from './app.ts'
import { readLedgerConfig } from './config.ts'
import { createLedgerConsumer } from './consumer.ts'
import { createLedgerMetrics } from './metrics.ts'
import { createStallWatch } from './stall.ts'

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
    tapWindow: config.tapWindow,
  },
  maxBytesPerPartition: config.maxBytesPerPartition,
  partitionsConsumedConcurrently: config.partitionsConsumedConcurrently,
  sessionTimeoutMs: config.sessionTimeoutMs,
  onSettled: (result, seconds, partition) => metrics.observe(result, seconds, partition),
  onRetry: (kind) => metrics.retried(kind),
})
const admin = kafka.admin()
let kafkaStarted = false
const stallWatch = createStallWatch({ stallSeconds: config.stallSeconds, logger })
metrics.reportStalls(() => stallWatch.stalled())
const lagTimer = setInterval(() => {
  if (!kafkaStarted) return
  metrics
    .updateLag(admin, db, config.tapsTopic, config.consumerGroup)
    .then((progress) => stallWatch.observe(progress))
    .catch((err: unknown) => logger.warn({ err }, 'lag update failed'))
}, config.lagIntervalMs)
lagTimer.unref()
const app = await buildApp({
  logger,
  db,
  registry,
  kafkaReady: async () => {
    if (!kafkaStarted) throw new Error('not connected to Kafka yet')
    await admin.fetchTopicMetadata({ topics: [config.tapsTopic] })
  },
  stalled: () => stallWatch.stalled(),
})
const connecting = new AbortController()
onShutdown(logger, [
  async () => connecting.abort(),
  async () => clearInterval(lagTimer),
  // Bounded, so a broker that is gone cannot hold the rest of the shutdown (docs/operations.md: 20 s in all).
  () => withDeadline(ledger.stop(), 12_000, 'the consumer did not leave its group within 12 s'),
  () => app.close(),
  () => withDeadline(admin.disconnect(), 3000, 'the Kafka admin client did not disconnect within 3 s'),
  () => db.destroy(),
])
await app.listen({ host: config.host, port: config.port })
// Kafka in the background, retried with backoff: a ledger started while the
// broker is down serves /healthz, says not ready, and starts consuming when
// the broker is back, instead of exiting.
kafkaStarted = await retryWithBackoff(
  'Kafka',
  async () => {
    // Rejected records must have somewhere to go, or a bad record would hold its partition. And the
    // taps topic must exist before the consumer joins: a member that joins while it has no partitions
    // is assigned none until its metadata is refreshed, minutes later (a broker that was just started).
    await ensureTopics(kafka, [
      { topic: config.tapsTopic, numPartitions: TAPS_PARTITIONS },
      { topic: config.dlqTopic, numPartitions: 1 },
    ])
    await admin.connect()
    try {
      await ledger.start()
    } catch (err) {
      await ledger.stop().catch(() => undefined) // a clean slate for the next attempt
      throw err
    }
  },
  { logger, signal: connecting.signal },
)
if (kafkaStarted) logger.info({ topic: config.tapsTopic, group: config.consumerGroup }, 'ledger started')
