import { readPemKey } from '@fare/auth'
import { createKafka, createLogger, createMetricsRegistry, onShutdown } from '@fare/platform'
import { buildApp } from './app.ts'
import { readIngestConfig } from './config.ts'
import { createKafkaTapSink } from './tap-producer.ts'

const config = readIngestConfig()
const logger = createLogger({ level: config.logLevel, name: 'ingest' })
const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: 'ingest', logger })
const sink = await createKafkaTapSink(kafka, { topic: config.tapsTopic, timeoutMs: config.produceTimeoutMs })
const app = await buildApp(
  { logger, sink, registry: createMetricsRegistry('ingest'), jwtPublicKeyPem: readPemKey(config.jwtPublicKeyFile, 'public') },
  config,
)
onShutdown(logger, [() => app.close(), () => sink.close()])
await app.listen({ host: config.host, port: config.port })
