/**
 * @fare/ingest as other code sees it (the stack's tests, the benchmarks):
 * the app, its configuration, and the Kafka sink taps are put on. Everything
 * else under src/ is the service's own.
 */
export { buildApp, type IngestDeps, type IngestOptions, type IngestTls } from './app.ts'
export { type IngestConfig, readIngestConfig } from './config.ts'
export { createKafkaTapSink, type KafkaTapSinkOptions, type TapSink } from './tap-producer.ts'
