/**
 * The services as real processes against a Kafka broker of this test's own
 * that is down when they start (docs/operations.md, "Starting and stopping"):
 *  - each starts anyway, listens, answers /healthz 200 and /readyz 503, and
 *    ingest answers taps 503 BROKER_UNAVAILABLE with Retry-After; an ingest
 *    worker forked to replace a dead one starts too;
 *  - once the broker is up, each becomes ready by itself and a tap is settled;
 *  - SIGTERM while the broker is down (never seen, or gone since) stops every
 *    service within the documented shutdown bound.
 */

import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { openCard } from '@fare/bookkeeping'
import { newTapId } from '@fare/contracts'
import { createTestDatabase } from '@fare/db/testing'
import { SHUTDOWN_TIMEOUT_MS } from '@fare/platform'
import { readFeedFolder, saveTariffVersion } from '@fare/tariffs'
import t from 'tap'
import { createTestIssuer } from '../support/keys.ts'
import { createOwnBroker } from '../support/own-broker.ts'
import { listeningUrl, type ServiceProcess, START_TIMEOUT_MS, startService } from '../support/process.ts'
import { DEMO_TARIFF_FOLDER, TEST_TARIFF_EFFECTIVE_FROM, waitFor } from '../support/stack.ts'

// Whole stacks and a broker of its own, started and stopped: minutes on a busy machine.
t.setTimeout(900_000)

const issuer = createTestIssuer()
const keyDir = mkdtempSync(path.join(tmpdir(), 'fare-keys-'))
writeFileSync(path.join(keyDir, 'issuer.pub.pem'), issuer.publicKeyPem)
writeFileSync(path.join(keyDir, 'issuer.key.pem'), issuer.privateKeyPem, { mode: 0o600 })
const keys = { JWT_PUBLIC_KEY_FILE: path.join(keyDir, 'issuer.pub.pem'), JWT_PRIVATE_KEY_FILE: path.join(keyDir, 'issuer.key.pem') }

/** Generous: a service connecting after the broker is back waits out its backoff, on a busy machine. */
const CONNECT_TIMEOUT_MS = 120_000
/** What "exits within the bound" allows beyond it: signal delivery and process exit. */
const EXIT_SLACK_MS = 3000

/** A card the ledger knows (opened below), so a settled tap is charged, not dead-lettered. */
const CARD = 'ct_kafka_down_0001'

const isListening = (l: Record<string, unknown>) => /listening at/.test(String(l.msg))

async function listening(service: ServiceProcess): Promise<string> {
  return listeningUrl(await service.waitForLog(isListening))
}

function postTap(url: string, tapId: string): Promise<Response> {
  const tap = { tapId, cardToken: CARD, kind: 'entry', tappedAt: new Date().toISOString(), routeId: 'bus-10' }
  return fetch(`${url}/v1/taps`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${issuer.deviceToken('validator-kafka-down', 'lutsk-bus')}` /* fresh: the test is slow on a busy machine */,
      connection: 'close',
    },
    body: JSON.stringify({ taps: [tap] }),
  })
}

async function readyStatus(url: string): Promise<number> {
  return fetch(`${url}/readyz`, { headers: { connection: 'close' } }).then(
    (r) => r.status,
    () => 0,
  )
}

/** SIGTERMs `service` and resolves with how long it took to exit. */
async function stopTimed(service: ServiceProcess): Promise<{ ms: number; code: number | null }> {
  const started = Date.now()
  service.child.kill('SIGTERM')
  const { code } = await service.exited
  return { ms: Date.now() - started, code }
}

t.test('started while Kafka is down: serve, not ready, 503; ready and settling once the broker is up; SIGTERM within the bound either way', async (t) => {
  const broker = createOwnBroker(t, 'kafka-down')
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  await database.db.transaction().execute((trx) => openCard(trx, { cardToken: CARD, currency: 'UAH' }))
  await saveTariffVersion(database.db, { name: 'test tariff', effectiveFrom: TEST_TARIFF_EFFECTIVE_FROM, files: readFeedFolder(DEMO_TARIFF_FOLDER) })
  const env = {
    ...keys,
    KAFKA_BROKERS: broker.brokers,
    DATABASE_URL: database.url,
    INGEST_PORT: '0',
    LEDGER_PORT: '0',
    LEDGER_GROUP: 'ledger-kafka-down',
    KAFKA_PRODUCE_TIMEOUT_MS: '2000',
  }

  const ingestOne = startService(t, 'ingest', { ...env, INGEST_WORKERS: '1' })
  const ingestTwo = startService(t, 'ingest', { ...env, INGEST_WORKERS: '2' })
  const ledger = startService(t, 'ledger', env)
  // Two more that are stopped before the broker ever comes.
  const ingestNeverConnected = startService(t, 'ingest', { ...env, INGEST_WORKERS: '1' })
  const ledgerNeverConnected = startService(t, 'ledger', env)

  const ingestUrls = [await listening(ingestOne), await listening(ingestTwo)]
  const ledgerUrl = await listening(ledger)
  await listening(ingestNeverConnected)
  await listening(ledgerNeverConnected)
  // Each has tried Kafka, failed, and lives on to retry (before, each exited with code 1 here).
  for (const [name, service, what] of [
    ['ingest', ingestOne, 'Kafka producer'],
    ['ingest (2 workers)', ingestTwo, 'Kafka producer'],
    ['ledger', ledger, 'Kafka'],
  ] as const) {
    await service.waitForLog((l) => l.msg === `${what}: failed; retrying`)
    t.pass(`${name} failed to reach Kafka and retries`)
  }

  for (const url of [...ingestUrls, ledgerUrl]) {
    t.equal((await fetch(`${url}/healthz`)).status, 200, `${url}: /healthz 200 while Kafka is down`)
    const ready = await fetch(`${url}/readyz`)
    t.equal(ready.status, 503, `${url}: /readyz 503 while Kafka is down`)
    t.match(await ready.json(), { status: 'not_ready', checks: { kafka: /not connected/ } })
  }
  for (const url of ingestUrls) {
    const response = await postTap(url, newTapId())
    t.equal(response.status, 503, 'a tap is answered 503')
    t.ok(Number(response.headers.get('retry-after')) > 0, 'with Retry-After')
    t.match(await response.json(), { error: { code: 'BROKER_UNAVAILABLE' } })
  }

  // A worker that dies while Kafka is down is replaced, and the replacement serves.
  const workerPids = () => new Set(ingestTwo.logs.filter(isListening).map((l) => Number(l.pid)))
  await waitFor('both ingest workers listening', async () => workerPids().size >= 2, START_TIMEOUT_MS)
  const before = workerPids()
  process.kill([...before][0] as number, 'SIGKILL')
  await ingestTwo.waitForLog((l) => isListening(l) && !before.has(Number(l.pid)))
  t.pass('a replacement worker started and listens while Kafka is down')

  // Stopped before the broker ever answered.
  for (const [name, service] of [
    ['ingest', ingestNeverConnected],
    ['ledger', ledgerNeverConnected],
  ] as const) {
    const { ms, code } = await stopTimed(service)
    t.ok(ms <= SHUTDOWN_TIMEOUT_MS + EXIT_SLACK_MS, `${name} never connected: SIGTERM exits in ${ms} ms (bound ${SHUTDOWN_TIMEOUT_MS} ms)`)
    t.equal(code, 0, `${name} never connected: clean exit`)
  }

  await broker.start()
  for (const url of [...ingestUrls, ledgerUrl]) {
    await waitFor(`${url} ready after the broker started`, async () => (await readyStatus(url)) === 200, CONNECT_TIMEOUT_MS)
    t.pass(`${url}: ready once the broker is up`)
  }
  const tapIds = [newTapId(), newTapId()]
  for (const [i, url] of ingestUrls.entries()) {
    const response = await postTap(url, tapIds[i] as string)
    t.equal(response.status, 200, 'a tap is accepted once Kafka is back')
    t.match(await response.json(), { results: [{ status: 'accepted' }] })
  }
  await waitFor(
    'the taps settled by the ledger',
    async () => (await database.db.selectFrom('taps').select('tap_id').where('tap_id', 'in', tapIds).execute()).length === tapIds.length,
    CONNECT_TIMEOUT_MS,
  )
  t.pass('both taps were settled')

  // The broker dies; each service notices, then is stopped.
  broker.kill()
  for (const url of [...ingestUrls, ledgerUrl]) {
    await waitFor(`${url} not ready after the broker died`, async () => (await readyStatus(url)) === 503, CONNECT_TIMEOUT_MS)
  }
  const api = startService(t, 'api', { ...env, API_PORT: '0' })
  await listening(api)
  const stops = await Promise.all([ingestOne, ingestTwo, ledger, api].map((s) => stopTimed(s)))
  for (const [i, name] of ['ingest', 'ingest (2 workers)', 'ledger', 'api'].entries()) {
    const { ms, code } = stops[i] as { ms: number; code: number | null }
    t.ok(ms <= SHUTDOWN_TIMEOUT_MS + EXIT_SLACK_MS, `${name}, broker gone: SIGTERM exits in ${ms} ms (bound ${SHUTDOWN_TIMEOUT_MS} ms)`)
    t.not(code, null, `${name} exited by itself, not by a signal`)
  }
})
