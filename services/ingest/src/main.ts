import cluster from 'node:cluster'
import { readFileSync } from 'node:fs'
import { readPemKey } from '@fare/auth'
import { createDb } from '@fare/db'
import { clusterMetricsSource, createKafka, createLogger, createMetricsRegistry, onShutdown } from '@fare/platform'
import { buildApp, type IngestTls } from './app.ts'
import { runPrimary } from './cluster.ts'
import { readIngestConfig } from './config.ts'
import { createKafkaTapSink } from './tap-producer.ts'

const config = readIngestConfig()
const logger = createLogger({ level: config.logLevel, name: 'ingest' })
if (config.workers > 1 && cluster.isPrimary) {
  runPrimary(config.workers, logger)
} else {
  await serve()
}

async function serve(): Promise<void> {
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: 'ingest', logger })
  // Connects in the background: with Kafka down, ingest still serves, not ready, taps answered 503.
  const sink = createKafkaTapSink(kafka, { topic: config.tapsTopic, timeoutMs: config.produceTimeoutMs, lingerMs: config.produceLingerMs, logger })
  const db = createDb(config.databaseUrl, {
    applicationName: 'ingest',
    maxConnections: 4,
    onIdleConnectionError: (err) => logger.warn({ err }, 'idle Postgres connection lost; the pool reconnects'),
  })
  const tls: IngestTls | undefined =
    config.tlsCertFile && config.tlsKeyFile
      ? {
          cert: readFileSync(config.tlsCertFile, 'utf8'),
          key: readFileSync(config.tlsKeyFile, 'utf8'),
          ...(config.tlsCaFile ? { ca: readFileSync(config.tlsCaFile, 'utf8') } : {}),
          requireClientCert: config.tlsRequireClientCert,
        }
      : undefined
  const registry = createMetricsRegistry('ingest')
  const app = await buildApp(
    {
      logger,
      sink,
      db,
      registry,
      ...(cluster.isWorker ? { metricsSource: clusterMetricsSource(registry) } : {}),
      jwtPublicKeyPem: readPemKey(config.jwtPublicKeyFile, 'public'),
    },
    { ...config, ...(tls ? { tls } : {}) },
  )
  onShutdown(logger, [() => app.close(), () => sink.close(), () => db.destroy()])
  await app.listen({ host: config.host, port: config.port })
  logger.info({ tls: Boolean(tls), mutualTls: Boolean(tls?.requireClientCert) }, 'ingest listening')
}
