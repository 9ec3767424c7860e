import { createDb } from '@fare/db'
import { Counter, Histogram, createKafka, createLogger, createMetricsRegistry, onShutdown } from '@fare/platform'
import { buildApp } from './app.ts'
import { readLedgerConfig } from './config.ts'
import { createLedgerConsumer } from './consumer.ts'
import { flatFarePricer } from './pricing.ts'

const config = readLedgerConfig()
const logger = createLogger({ level: config.logLevel, name: 'ledger' })
const db = createDb(config.databaseUrl, { applicationName: 'ledger' })
const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: 'ledger', logger })
const registry = createMetricsRegistry('ledger')
const tapsSettled = new Counter({ name: 'ledger_taps_recorded_total', help: 'Taps recorded (first delivery)', registers: [registry] })
const transfersPosted = new Counter({ name: 'ledger_transfers_posted_total', help: 'Transfers posted', registers: [registry] })
const batchSeconds = new Histogram({ name: 'ledger_batch_seconds', help: 'Time to settle one batch', registers: [registry] })

const ledger = createLedgerConsumer({
  kafka,
  db,
  logger,
  topic: config.tapsTopic,
  consumerGroup: config.consumerGroup,
  pricer: flatFarePricer(config.flatFareAmount, config.currency),
  maxBytesPerPartition: config.maxBytesPerPartition,
  onSettled: (result, seconds) => {
    tapsSettled.inc(result.recorded)
    transfersPosted.inc(result.transfers)
    batchSeconds.observe(seconds)
  },
})
const admin = kafka.admin()
await admin.connect()
const app = await buildApp({ logger, db, registry, kafkaReady: async () => void (await admin.fetchTopicMetadata({ topics: [config.tapsTopic] })) })
onShutdown(logger, [() => ledger.stop(), () => app.close(), () => admin.disconnect(), () => db.destroy()])
await ledger.start()
await app.listen({ host: config.host, port: config.port })
