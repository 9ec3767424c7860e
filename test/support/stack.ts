/**
 * The three services in this process, on the real Kafka broker and a test
 * database of the file's own, listening on loopback ports chosen by the OS,
 * so tests speak real HTTP to them.
 */

import { buildApp as buildApi } from '@fare/api'
import { createTestDatabase, type TestDatabase } from '@fare/db/testing'
import { buildApp as buildIngest, createKafkaTapSink, type TapSink } from '@fare/ingest'
import { createLedgerConsumer, type LedgerConsumer } from '@fare/ledger'
import { createMetricsRegistry } from '@fare/platform'
import { createTariffBook, readFeedFolder, saveTariffVersion } from '@fare/tariffs'
import type { FastifyInstance } from 'fastify'
import { createTestTopics, type TestTopics } from './kafka.ts'
import { createTestIssuer, type TestIssuer } from './keys.ts'

export interface TestStack {
  database: TestDatabase
  topics: TestTopics
  issuer: TestIssuer
  ingest: FastifyInstance
  api: FastifyInstance
  ingestUrl: string
  apiUrl: string
  sink: TapSink
  ledger: LedgerConsumer
  close(): Promise<void>
}

/** The demo tariff (infra/demo-tariff), in force from this instant in every test stack unless a test brings its own. */
export const TEST_TARIFF_EFFECTIVE_FROM = '2020-01-01T00:00:00+02:00'
export const DEMO_TARIFF_FOLDER = new URL('../../infra/demo-tariff/', import.meta.url).pathname

export async function startTestStack(name: string, options: { tariffFiles?: Record<string, string> } = {}): Promise<TestStack> {
  const database = await createTestDatabase()
  await saveTariffVersion(database.db, {
    name: 'test tariff',
    effectiveFrom: TEST_TARIFF_EFFECTIVE_FROM,
    files: options.tariffFiles ?? readFeedFolder(DEMO_TARIFF_FOLDER),
  })
  const topics = await createTestTopics(name)
  const issuer = createTestIssuer()
  const sink = await createKafkaTapSink(topics.kafka, { topic: topics.taps, timeoutMs: 5000 })
  const ingest = await buildIngest(
    { logger: topics.logger, sink, db: database.db, registry: createMetricsRegistry('ingest'), jwtPublicKeyPem: issuer.publicKeyPem },
    { bodyLimitBytes: 512 * 1024 },
  )
  const api = await buildApi({
    logger: topics.logger,
    db: database.db,
    registry: createMetricsRegistry('api'),
    jwtPublicKeyPem: issuer.publicKeyPem,
    jwtPrivateKeyPem: issuer.privateKeyPem,
  })
  const ledger = createLedgerConsumer({
    kafka: topics.kafka,
    db: database.db,
    logger: topics.logger,
    topic: topics.taps,
    consumerGroup: topics.group,
    dlqTopic: topics.dlq,
    settle: { tariffs: createTariffBook() },
  })
  await ledger.start()
  const ingestUrl = await ingest.listen({ host: '127.0.0.1', port: 0 })
  const apiUrl = await api.listen({ host: '127.0.0.1', port: 0 })
  return {
    database,
    topics,
    issuer,
    ingest,
    api,
    ingestUrl,
    apiUrl,
    sink,
    ledger,
    async close() {
      await ledger.stop()
      await ingest.close()
      await api.close()
      await sink.close()
      await database.drop()
    },
  }
}

/** Polls until `condition` holds, failing after `timeoutMs` with `what` in the message. */
export async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
