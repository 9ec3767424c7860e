/**
 * POST /v1/taps as docs/validators.md section 3 states it: per-tap answers in request order,
 * `accepted` only once Kafka has the record (read back from the topic), a
 * re-sent tap accepted again, time-skew rules, the device from the token
 * only, and whole-request failures with stable codes: 400, 413, 429 per
 * device, and 503 with Retry-After (never a false `accepted`) when Kafka fails.
 */

import { newTapId, type TapEvent } from '@fare/contracts'
import { buildApp, createKafkaTapSink } from '@fare/ingest'
import { createMetricsRegistry } from '@fare/platform'
import t from 'tap'
import { OPERATOR, readTopic, startEdgeStack, tapAt } from './support.ts'

const stack = await startEdgeStack('upload', { ingest: { rateLimitPerMinute: 30 } })
t.teardown(() => stack.close())
const keys = await stack.registerDevice('val-up-1')
const token = await stack.deviceToken('val-up-1', keys.privateKeyPem)

const post = (payload: unknown, bearer = token, headers: Record<string, string> = {}) =>
  stack.ingest.inject({
    method: 'POST',
    url: '/v1/taps',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  })
const code = (res: { json(): unknown }) => (res.json() as { error?: { code: string } }).error?.code

t.test('per-tap results in request order; accepted ones are on Kafka with the device from the token', async (t) => {
  const good1 = tapAt(newTapId(), 'ct_upload_card_01', 60_000, { deviceSeq: 7 })
  const future = tapAt(newTapId(), 'ct_upload_card_02', -3_600_000)
  const ancient = tapAt(newTapId(), 'ct_upload_card_03', 40 * 86_400_000)
  const invalid = { ...tapAt(newTapId(), 'ct_upload_card_04'), deviceId: 'someone-else' }
  const skewOk = tapAt(newTapId(), 'ct_upload_card_05', -200_000, { deviceSeq: 8 })
  const res = await post({ taps: [good1, future, ancient, invalid, 'not a tap', skewOk, good1] })
  t.equal(res.statusCode, 200)
  const results = (res.json() as { results: { tapId: string | null; status: string; error?: { code: string } }[] }).results
  t.same(
    results.map((r) => [r.tapId, r.status, r.error?.code]),
    [
      [good1.tapId, 'accepted', undefined],
      [future.tapId, 'rejected', 'TAP_TIME_OUT_OF_RANGE'],
      [ancient.tapId, 'rejected', 'TAP_TIME_OUT_OF_RANGE'],
      [invalid.tapId, 'rejected', 'TAP_INVALID'],
      [null, 'rejected', 'TAP_INVALID'],
      [skewOk.tapId, 'accepted', undefined],
      [good1.tapId, 'accepted', undefined],
    ],
  )
  const resent = await post({ taps: [good1] })
  t.same(
    (resent.json() as { results: { status: string }[] }).results.map((r) => r.status),
    ['accepted'],
    'a re-sent tap id is accepted again',
  )

  const events = await readTopic(
    stack.topics.kafka,
    stack.topics.taps,
    (v) => v.filter((e) => e.tapId === good1.tapId).length >= 2 && v.some((e) => e.tapId === skewOk.tapId),
  )
  const first = events.find((e) => e.tapId === good1.tapId) as TapEvent
  t.match(first, { schema: 'tap.v1', deviceId: 'val-up-1', operatorId: OPERATOR, deviceSeq: 7, cardToken: 'ct_upload_card_01' })
  t.notOk(
    events.some((e) => [future.tapId, ancient.tapId, invalid.tapId].includes(e.tapId)),
    'rejected taps never reach Kafka',
  )
})

t.test('whole-request errors carry stable codes', async (t) => {
  t.equal(code(await post('{"taps": [')), 'REQUEST_INVALID')
  t.equal(code(await post({ taps: [] })), 'REQUEST_INVALID')
  t.equal(code(await post({ taps: [tapAt(newTapId(), 'ct_upload_card_01')], deviceId: 'spoof' })), 'REQUEST_INVALID', 'unknown envelope field')
  t.equal(code(await post('{"taps": [], "__proto__": {"polluted": true}}')), 'REQUEST_INVALID', 'prototype poisoning')
  t.equal(code(await post('{"taps": [], "constructor": {"prototype": {"polluted": true}}}')), 'REQUEST_INVALID', 'constructor poisoning')
  const tooMany = await post({ taps: Array.from({ length: 501 }, () => tapAt(newTapId(), 'ct_upload_card_01')) })
  t.equal(tooMany.statusCode, 413)
  t.equal(code(tooMany), 'BATCH_TOO_LARGE')
  const huge = await post({ taps: [{ ...tapAt(newTapId(), 'ct_upload_card_01'), routeId: 'x'.repeat(600_000) }] })
  t.equal(huge.statusCode, 413)
  t.equal(code(huge), 'BATCH_TOO_LARGE')
  const wrongType = await post('taps=1', token, { 'content-type': 'application/x-www-form-urlencoded' })
  t.equal(wrongType.statusCode, 415)
})

t.test('rate limited per device, not per address', async (t) => {
  const other = await stack.registerDevice('val-up-2')
  const otherToken = await stack.deviceToken('val-up-2', other.privateKeyPem)
  let limited: Awaited<ReturnType<typeof post>> | undefined
  for (let i = 0; i < 40 && !limited; i++) {
    const res = await stack.ingest.inject({ method: 'GET', url: '/v1/deny-list', headers: { authorization: `Bearer ${token}` } })
    if (res.statusCode === 429) limited = res
  }
  t.ok(limited, 'the 31st request in a minute is refused')
  t.equal(limited && code(limited), 'RATE_LIMITED')
  t.ok(Number(limited?.headers['retry-after']) > 0, 'with Retry-After')
  const neighbour = await stack.ingest.inject({ method: 'GET', url: '/v1/deny-list', headers: { authorization: `Bearer ${otherToken}` } })
  t.equal(neighbour.statusCode, 200, 'another device behind the same address is not limited')
})

t.test('Kafka failing: 503 BROKER_UNAVAILABLE with Retry-After, nothing accepted', async (t) => {
  // A sink whose topic does not exist (auto-creation off): every send fails, as with a broker that refuses writes.
  const sink = await createKafkaTapSink(stack.topics.kafka, { topic: `${stack.topics.taps}-missing`, timeoutMs: 1500 })
  const app = await buildApp(
    { logger: stack.topics.logger, sink, registry: createMetricsRegistry('ingest'), jwtPublicKeyPem: stack.issuer.publicKeyPem },
    { bodyLimitBytes: 65536 },
  )
  t.teardown(async () => {
    await app.close()
    await sink.close()
  })
  const started = Date.now()
  const res = await app.inject({
    method: 'POST',
    url: '/v1/taps',
    headers: { authorization: `Bearer ${stack.issuer.deviceToken('val-up-1', OPERATOR)}` },
    payload: { taps: [tapAt(newTapId(), 'ct_upload_card_01')] },
  })
  t.equal(res.statusCode, 503)
  t.equal(code(res), 'BROKER_UNAVAILABLE')
  t.ok(Number(res.headers['retry-after']) > 0)
  t.notOk(res.body.includes('accepted'))
  t.ok(Date.now() - started < 5000, 'answered within the produce timeout, not hanging')
  const ready = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(ready.statusCode, 503, 'not ready while its topic is unavailable')
})

t.test('OpenAPI document at /docs', async (t) => {
  const json = await stack.ingest.inject({ method: 'GET', url: '/docs/json' })
  t.equal(json.statusCode, 200)
  const doc = json.json() as { paths: Record<string, unknown> }
  t.ok(doc.paths['/v1/taps'] && doc.paths['/v1/deny-list'] && doc.paths['/v1/tariff'])
  const ui = await stack.ingest.inject({ method: 'GET', url: '/docs' })
  t.ok(ui.statusCode < 400)
  const apiDoc = (await stack.api.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, unknown> }
  t.ok(apiDoc.paths['/v1/auth/device-token'] && apiDoc.paths['/v1/devices'])
})
