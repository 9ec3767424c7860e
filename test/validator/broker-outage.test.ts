/**
 * The broker stopped in the middle of a run. A broker of this test's own (on
 * its own ports and data dir, never the shared one) is stopped while a
 * simulated validator keeps recording and uploading taps, and the validator
 * process is "rebooted" while the broker is down. The promises under test:
 *  - nothing answered `accepted` is lost: every such tap is on the topic;
 *  - ingest answers 503 (and /readyz is 503) while the broker is away;
 *  - once the broker is back, the validator delivers everything it recorded.
 * (A tap answered 503 may still reach Kafka later, if the broker took the write
 * after the deadline: that is a duplicate the ledger ignores, never a loss.)
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { buildApp as buildApi } from '@fare/api'
import { generateDeviceKeyPair } from '@fare/auth'
import { createTestDatabase } from '@fare/db/testing'
import { buildApp as buildIngest, createKafkaTapSink } from '@fare/ingest'
import { createKafka, createLogger, createMetricsRegistry } from '@fare/platform'
import t from 'tap'
import { TapStore } from '../../infra/validator/store.ts'
import { Validator } from '../../infra/validator/validator.ts'
import { createTestIssuer } from '../support/keys.ts'
import { createOwnBroker } from '../support/own-broker.ts'
import { readTopic } from './support.ts'

t.test('broker stopped mid-run: nothing accepted is lost, everything is delivered after', async (t) => {
  const broker = createOwnBroker(t, 'outage')
  await broker.start()

  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', name: 'outage' })
  const kafka = createKafka({ brokers: [broker.brokers], clientId: 'outage', logger, connectionTimeoutMs: 1000, retries: 1 })
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  await database.db.insertInto('operators').values({ id: 'op-outage', name: 'Outage operator' }).execute()
  const issuer = createTestIssuer()
  const sink = createKafkaTapSink(kafka, { topic: 'taps', timeoutMs: 1500 })
  const ingest = await buildIngest(
    { logger, sink, db: database.db, registry: createMetricsRegistry('ingest'), jwtPublicKeyPem: issuer.publicKeyPem },
    { bodyLimitBytes: 512 * 1024, rateLimitPerMinute: 100_000 },
  )
  const api = await buildApi({
    logger,
    db: database.db,
    registry: createMetricsRegistry('api'),
    jwtPublicKeyPem: issuer.publicKeyPem,
    jwtPrivateKeyPem: issuer.privateKeyPem,
  })
  const ingestUrl = await ingest.listen({ host: '127.0.0.1', port: 0 })
  const apiUrl = await api.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(async () => {
    await ingest.close()
    await api.close()
    await sink.close().catch(() => undefined)
  })

  const keys = generateDeviceKeyPair('EdDSA')
  const registered = await api.inject({
    method: 'POST',
    url: '/v1/devices',
    headers: { authorization: `Bearer ${issuer.adminToken()}` },
    payload: { id: 'val-outage', operatorId: 'op-outage', publicKeyPem: keys.publicKeyPem },
  })
  t.equal(registered.statusCode, 201)

  const storeDir = mkdtempSync(path.join(tmpdir(), 'fare-outage-store-'))
  t.teardown(() => rmSync(storeDir, { recursive: true, force: true }))
  const recorded = new Set<string>()
  const accepted = new Set<string>()
  let failures = 0
  const makeValidator = () =>
    new Validator({
      deviceId: 'val-outage',
      privateKeyPem: keys.privateKeyPem,
      ingestUrl,
      apiUrl,
      store: new TapStore(storeDir),
      batchSize: 50,
      backoffBaseMs: 100,
      backoffCapMs: 800,
      maxRetryAfterMs: 800,
      onAccepted: (ids) => {
        for (const id of ids) accepted.add(id)
      },
    })
  let validator = makeValidator()
  const cards = Array.from({ length: 20 }, (_, i) => `ct_outage_${String(i).padStart(4, '0')}`)
  const recordSome = (n: number) => {
    for (const tap of validator.record(Array.from({ length: n }, (_, i) => ({ cardToken: cards[i % cards.length] as string })))) recorded.add(tap.tapId)
  }

  recordSome(120)
  const warmup = await validator.drain({ deadlineMs: 20_000 })
  t.equal(warmup.accepted, 120, 'all accepted while the broker is up')

  // The run: record taps continuously and upload them, while the broker goes away and comes back.
  let running = true
  const run = (async () => {
    while (running) {
      recordSome(10)
      const r = await validator.drain({ deadlineMs: 250, stopWhen: () => !running })
      failures += r.failures
      await new Promise((r) => setTimeout(r, 50))
    }
  })()

  await new Promise((r) => setTimeout(r, 800))
  await broker.stop()
  const downSince = Date.now()
  const acceptedWhenStopped = accepted.size

  const ready = await fetch(`${ingestUrl}/readyz`)
  t.equal(ready.status, 503, '/readyz says not ready while the broker is down')
  const direct = await fetch(`${ingestUrl}/v1/taps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await validator.accessToken()}` },
    body: JSON.stringify({
      taps: [
        { tapId: '0192f1c2-0000-7000-8000-000000000001', cardToken: 'ct_outage_direct', kind: 'entry', tappedAt: new Date().toISOString(), routeId: '10' },
      ],
    }),
  })
  t.equal(direct.status, 503, 'a tap upload is a 503 while the broker is down')
  t.ok(Number(direct.headers.get('retry-after')) > 0, 'with Retry-After')
  t.equal(((await direct.json()) as { error: { code: string } }).error.code, 'BROKER_UNAVAILABLE')

  // The validator reboots while offline: its pending taps come back from the store.
  running = false
  await run
  const pendingBeforeReboot = validator.store.pendingCount
  validator.close()
  validator = makeValidator()
  t.equal(validator.store.pendingCount, pendingBeforeReboot, 'pending taps survive a validator restart')
  running = true
  const run2 = (async () => {
    while (running) {
      recordSome(10)
      const r = await validator.drain({ deadlineMs: 250, stopWhen: () => !running })
      failures += r.failures
      await new Promise((r) => setTimeout(r, 50))
    }
  })()
  await new Promise((r) => setTimeout(r, Math.max(0, 1500 - (Date.now() - downSince))))
  t.ok(validator.store.pendingCount > 0, `taps pile up in the store while the broker is down (${validator.store.pendingCount})`)
  t.ok(accepted.size - acceptedWhenStopped <= 50, 'at most the batch in flight at the stop was accepted after it')

  await broker.start()
  running = false
  await run2
  const final = await validator.drain({ deadlineMs: 60_000 })
  failures += final.failures
  t.equal(validator.store.pendingCount, 0, 'the store is empty: everything delivered')
  t.ok(failures > 0, `the outage was felt (${failures} failed uploads, retried)`)
  t.equal(accepted.size, recorded.size, 'every recorded tap was eventually accepted')
  validator.close()

  const onTopic = new Set(
    (await readTopic(kafka, 'taps', (v) => [...recorded].every((id) => v.some((e) => e.tapId === id)) || v.length >= recorded.size * 3, 120_000)).map(
      (e) => e.tapId,
    ),
  )
  const lost = [...accepted].filter((id) => !onTopic.has(id))
  t.same(lost, [], 'no tap answered accepted is missing from Kafka')
})
