/**
 * What POST /v1/taps accepts is what the ledger can settle: ids are UUIDv7
 * (any letter case, sent on in lower case), times strict RFC 3339 with an
 * offset within ±14:00 and at most 9 fraction digits, sent on in one
 * canonical form; a tap id twice in one request is one tap, or a conflict.
 * Each answer is checked against the record read back from the real topic.
 */

import { newTapId, type TapEvent } from '@fare/contracts'
import t from 'tap'
import { OPERATOR, readTopic, startEdgeStack } from '../validator/support.ts'

const stack = await startEdgeStack('contract-ingest')
t.teardown(() => stack.close())
const token = stack.issuer.deviceToken('val-contract-1', OPERATOR)

interface Answer {
  tapId: string | null
  status: string
  error?: { code: string; message: string }
}

async function upload(taps: unknown[]): Promise<Answer[]> {
  const res = await stack.ingest.inject({
    method: 'POST',
    url: '/v1/taps',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ taps }),
  })
  if (res.statusCode !== 200) throw new Error(`POST /v1/taps: ${res.statusCode} ${res.body}`)
  return (res.json() as { results: Answer[] }).results
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

/** The wall time of `ms` at a UTC offset of `offsetMinutes`, as "YYYY-MM-DDTHH:MM:SS" plus the offset written "+HH:MM". */
function wallTime(ms: number, offsetMinutes: number): { local: string; offset: string } {
  const d = new Date(ms + offsetMinutes * 60_000)
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
  const local = `${date}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  const abs = Math.abs(offsetMinutes)
  return { local, offset: `${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}` }
}

/** A whole second a minute ago, so fractions and offsets can be written by hand. */
const base = Math.floor((Date.now() - 60_000) / 1000) * 1000
const utc = wallTime(base, 0).local

let cardSeq = 0
const tap = (fields: Record<string, unknown> = {}) => ({
  tapId: newTapId(),
  cardToken: `ct_contract_${pad(++cardSeq, 4)}`,
  kind: 'entry',
  tappedAt: `${utc}.120Z`,
  routeId: 'bus-10',
  stopId: 'S1',
  ...fields,
})

/** The records on the topic for these tap ids, once each of them was read. */
async function recordsOf(tapIds: readonly string[]): Promise<TapEvent[]> {
  const wanted = new Set(tapIds)
  const all = await readTopic(stack.topics.kafka, stack.topics.taps, (values) => tapIds.every((id) => values.some((v) => v.tapId === id)))
  return all.filter((v) => wanted.has(v.tapId))
}

t.test('times: lower-case t and z are accepted and sent on upper case, the fraction as 3 digits, cut not rounded', async (t) => {
  const cases = [
    { sent: `${utc.replace('T', 't')}.795z`, written: `${utc}.795Z` },
    { sent: `${utc}.7Z`, written: `${utc}.700Z` },
    { sent: `${utc}Z`, written: `${utc}.000Z` },
    { sent: `${utc}.799999999Z`, written: `${utc}.799Z` },
  ]
  const taps = cases.map((c) => tap({ tappedAt: c.sent }))
  const answers = await upload(taps)
  t.same(
    answers.map((a) => a.status),
    cases.map(() => 'accepted'),
    JSON.stringify(answers),
  )
  const records = await recordsOf(taps.map((x) => x.tapId))
  t.same(
    taps.map((x) => records.find((r) => r.tapId === x.tapId)?.tappedAt),
    cases.map((c) => c.written),
  )
})

t.test('times: more than 9 fraction digits are refused', async (t) => {
  const answers = await upload([tap({ tappedAt: `${utc}.7951234567Z` }), tap({ tappedAt: `${utc}.795123456789z` })])
  t.same(
    answers.map((a) => [a.status, a.error?.code]),
    [
      ['rejected', 'TAP_INVALID'],
      ['rejected', 'TAP_INVALID'],
    ],
  )
  t.match(answers[0]?.error?.message, /tappedAt/)
})

t.test('times: offsets within ±14:00 are accepted and kept; ±14:01 to ±23:59 are refused', async (t) => {
  const at = (offsetMinutes: number) => {
    const w = wallTime(base, offsetMinutes)
    return `${w.local}.250${w.offset}`
  }
  const inRange = [14 * 60, -14 * 60, 5 * 60 + 45, -(9 * 60 + 30)].map((m) => tap({ tappedAt: at(m) }))
  const outOfRange = [14 * 60 + 1, 16 * 60, -16 * 60, 23 * 60 + 59, -(23 * 60 + 59)].map((m) => tap({ tappedAt: at(m) }))
  const answers = await upload([...inRange, ...outOfRange])
  t.same(
    answers.map((a) => [a.status, a.error?.code]),
    [...inRange.map(() => ['accepted', undefined]), ...outOfRange.map(() => ['rejected', 'TAP_INVALID'])],
    JSON.stringify(answers),
  )
  const records = await recordsOf(inRange.map((x) => x.tapId))
  for (const x of inRange) {
    const record = records.find((r) => r.tapId === x.tapId)
    t.equal(record?.tappedAt, x.tappedAt, 'the offset is kept')
    t.equal(Date.parse(record?.tappedAt ?? ''), base + 250, 'the same instant')
  }
})

t.test('times: not a real date-time is refused', async (t) => {
  const bad = [
    `${utc.slice(0, 4)}-02-30T10:00:00Z`,
    `${utc} `,
    `${utc.replace('T', ' ')}Z`,
    `${utc}+0200`,
    `${utc}+02`,
    `${utc}.Z`,
    `${utc}`,
    `${utc.slice(0, 16)}Z`,
    `${utc.slice(0, 11)}24:00:00Z`,
    `${utc}.120Z\u0000`,
  ]
  const answers = await upload(bad.map((tappedAt) => tap({ tappedAt })))
  t.same(
    answers.map((a) => a.error?.code),
    bad.map(() => 'TAP_INVALID'),
    JSON.stringify(answers),
  )
})

t.test('ids: UUIDv7 only, in any letter case; sent on in lower case', async (t) => {
  const refused = [
    '00000000-0000-0000-0000-000000000000',
    '2f1b6d7e-4c1a-4b8e-9d0f-2a3b4c5d6e7f',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '01a22359-4902-7338-c363-1a8f9937720c',
    '01a223594902733893631a8f9937720c',
    '{01a22359-4902-7338-9363-1a8f9937720c}',
  ]
  const upper = tap({ tapId: newTapId().toUpperCase() })
  const mixed = tap({ tapId: newTapId().replace(/[a-f]/g, (c) => (Math.random() < 0.5 ? c.toUpperCase() : c)) })
  const answers = await upload([...refused.map((tapId) => tap({ tapId })), upper, mixed])
  t.same(
    answers.map((a) => [a.tapId, a.status, a.error?.code]),
    [...refused.map((id) => [id, 'rejected', 'TAP_INVALID']), [upper.tapId, 'accepted', undefined], [mixed.tapId, 'accepted', undefined]],
    'answered with the id as sent',
  )
  const records = await recordsOf([upper.tapId.toLowerCase(), mixed.tapId.toLowerCase()])
  t.same(records.map((r) => r.cardToken).sort(), [upper.cardToken, mixed.cardToken].sort(), 'both written with their id in lower case')
})

t.test('strings: control characters are refused in every field', async (t) => {
  const fields = {
    cardToken: 'ct_contract\u0000x',
    routeId: 'bus-10\n',
    stopId: 'S1\u0007',
    vehicleId: 'AC\u00001234',
    kind: 'entry\u0000',
    tapId: `${newTapId()}\u0000`,
  }
  const answers = await upload(Object.entries(fields).map(([field, value]) => tap({ [field]: value })))
  t.same(
    answers.map((a) => a.error?.code),
    Object.keys(fields).map(() => 'TAP_INVALID'),
  )
})

t.test('one tap id twice in a request: the same tap is sent once, different content is TAP_CONFLICT', async (t) => {
  const w = wallTime(base, 120)
  const first = tap({ tappedAt: `${utc}.120Z` })
  // The same tap: the id in upper case, the same instant written at +02:00 with more digits.
  const same = { ...first, tapId: first.tapId.toUpperCase(), tappedAt: `${w.local}.120999${w.offset}` }
  const otherStop = { ...first, stopId: 'S2' }
  const otherTime = { ...first, tappedAt: `${utc}.121Z` }
  const otherVehicle = { ...first, vehicleId: 'AC-9999' }
  const marker = tap({ cardToken: first.cardToken })
  const answers = await upload([first, same, otherStop, otherTime, otherVehicle, marker])
  t.same(
    answers.map((a) => [a.tapId, a.status, a.error?.code]),
    [
      [first.tapId, 'accepted', undefined],
      [same.tapId, 'accepted', undefined],
      [first.tapId, 'rejected', 'TAP_CONFLICT'],
      [first.tapId, 'rejected', 'TAP_CONFLICT'],
      [first.tapId, 'rejected', 'TAP_CONFLICT'],
      [marker.tapId, 'accepted', undefined],
    ],
  )
  // The marker (same card, so the same partition) is sent last: once it is read, everything sent before it was.
  const records = await recordsOf([first.tapId, marker.tapId])
  t.same(
    records.filter((r) => r.tapId === first.tapId).map((r) => [r.stopId, r.tappedAt]),
    [['S1', `${utc}.120Z`]],
    'the first version, sent once',
  )
})

t.test('the device and operator ids of the token go on every record: a token whose ids the ledger could not read back is refused', async (t) => {
  for (const [deviceId, operatorId] of [
    ['val-contract-1', 'op\u0000edge'],
    ['val\ncontract', OPERATOR],
  ] as const) {
    const bearer = stack.issuer.deviceToken(deviceId, operatorId)
    const res = await stack.ingest.inject({
      method: 'POST',
      url: '/v1/taps',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ taps: [tap()] }),
    })
    // Refused where the token is verified (packages/auth checks the claims' shape), before any tap is read.
    t.equal(res.statusCode, 401, JSON.stringify([deviceId, operatorId]))
    t.match(res.json(), { error: { code: 'TOKEN_INVALID', details: { reason: 'claims' } } })
  }
})
