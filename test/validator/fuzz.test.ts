/**
 * 10,000 generated request bodies against POST /v1/taps (in process, through
 * app.inject). The invariant: bad input is always the client's problem, never
 * the server's. Every answer is a 4xx with a stable error code, or a 200 whose
 * every per-tap result is accepted or rejected with a code; never a 5xx, never
 * a crash, and no prototype pollution leaking out of the JSON parser.
 */

import { newTapId } from '@fare/contracts'
import fc from 'fast-check'
import t from 'tap'
import { OPERATOR, startEdgeStack } from './support.ts'

const stack = await startEdgeStack('fuzz', { ingest: { rateLimitPerMinute: 1_000_000, bodyLimitBytes: 16 * 1024 } })
t.teardown(() => stack.close())
const token = stack.issuer.deviceToken('val-fuzz-1', OPERATOR)

const validTap = () => ({
  tapId: newTapId(),
  cardToken: 'ct_fuzz_card_0001',
  kind: 'entry',
  tappedAt: new Date(Date.now() - 60_000).toISOString(),
  routeId: '10',
  stopId: 'S1',
  deviceSeq: 1,
})
const FIELDS = [
  'tapId',
  'cardToken',
  'kind',
  'tappedAt',
  'routeId',
  'stopId',
  'vehicleId',
  'deviceSeq',
  'deviceId',
  '__proto__',
  'constructor',
  'prototype',
  'extra',
]

/** A tap with one to three fields replaced by arbitrary values (or deleted). */
const mutatedTap = fc
  .array(fc.tuple(fc.constantFrom(...FIELDS), fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined })), { minLength: 1, maxLength: 3 })
  .map((edits) => {
    const tap: Record<string, unknown> = validTap()
    for (const [field, value] of edits) {
      if (value === undefined) delete tap[field]
      else tap[field] = value
    }
    return JSON.stringify({ taps: [tap] })
  })

const poisoned = fc.constantFrom(
  '{"taps":[],"__proto__":{"admin":true}}',
  '{"taps":[{"__proto__":{"x":1}}]}',
  '{"constructor":{"prototype":{"x":1}},"taps":[1]}',
  '{"taps":[{"tapId":"a","constructor":{"prototype":{"polluted":1}}}]}',
)

const bodies = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  {
    weight: 3,
    arbitrary: fc
      .record({ taps: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 6 }) }, { requiredKeys: [] })
      .chain((r) =>
        fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }).map((extra) => JSON.stringify({ ...extra, ...r })),
      ),
  },
  { weight: 3, arbitrary: mutatedTap },
  { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')) },
  { weight: 1, arbitrary: poisoned },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 40_000 }).map((n) => JSON.stringify({ taps: [{ ...validTap(), routeId: 'r'.repeat(n) }] })) },
)

t.test('10,000 generated bodies: 4xx with a code or per-tap answers, never 5xx', async (t) => {
  const statuses = new Map<number, number>()
  await fc.assert(
    fc.asyncProperty(bodies, fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain'), async (payload, contentType) => {
      const res = await stack.ingest.inject({
        method: 'POST',
        url: '/v1/taps',
        headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
        payload,
      })
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
      if (res.statusCode >= 500) return false
      const body = JSON.parse(res.body) as { error?: { code?: unknown }; results?: { status: string; error?: { code?: unknown } }[] }
      if (res.statusCode >= 400) return typeof body.error?.code === 'string' && body.error.code.length > 0
      if (res.statusCode !== 200 || !Array.isArray(body.results)) return false
      return body.results.every((r) => r.status === 'accepted' || (r.status === 'rejected' && typeof r.error?.code === 'string'))
    }),
    { numRuns: 10_000 },
  )
  t.ok(({} as Record<string, unknown>).admin === undefined && ({} as Record<string, unknown>).polluted === undefined, 'no prototype was polluted')
  t.ok((statuses.get(400) ?? 0) > 0 && (statuses.get(200) ?? 0) > 0, `answers by status: ${JSON.stringify(Object.fromEntries(statuses))}`)
})
