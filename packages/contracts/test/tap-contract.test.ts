/** The tap contract's parser on its own: which texts are tap times and ids, and the canonical form of each. */
import t from 'tap'
import { canonicalTapTime, parseTapEvent, parseTapInput, sameTap, TAP_EVENT_SCHEMA } from '../src/index.ts'

t.test('tap times: what is read, and how it is written', async (t) => {
  const cases: [string, string | undefined][] = [
    ['2026-07-05T08:15:03.120+03:00', '2026-07-05T08:15:03.120+03:00'],
    ['2026-07-05t08:15:03z', '2026-07-05T08:15:03.000Z'],
    ['2026-07-05T08:15:03.1Z', '2026-07-05T08:15:03.100Z'],
    ['2026-07-05T08:15:03.999999999-09:30', '2026-07-05T08:15:03.999-09:30'],
    ['2026-07-05T08:15:03.5+14:00', '2026-07-05T08:15:03.500+14:00'],
    ['2026-07-05T08:15:03.5-14:00', '2026-07-05T08:15:03.500-14:00'],
    ['2026-07-05T08:15:03+13:59', '2026-07-05T08:15:03.000+13:59'],
    ['2026-07-05T08:15:03-00:00', '2026-07-05T08:15:03.000-00:00'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ['2026-02-29T00:00:00Z', undefined],
    ['1900-02-29T00:00:00Z', undefined],
    ['2026-04-31T00:00:00Z', undefined],
    ['0000-01-01T00:00:00Z', undefined],
    ['2026-07-05T24:00:00Z', undefined],
    ['2026-07-05T23:59:60Z', undefined],
    ['2026-07-05T08:15:03.1234567890Z', undefined],
    ['2026-07-05T08:15:03+14:01', undefined],
    ['2026-07-05T08:15:03+16:00', undefined],
    ['2026-07-05T08:15:03-23:59', undefined],
    ['2026-07-05T08:15:03+0300', undefined],
    ['2026-07-05T08:15:03+03', undefined],
    ['2026-07-05T08:15Z', undefined],
    ['2026-07-05 08:15:03Z', undefined],
    ['2026-07-05T08:15:03', undefined],
    ['2026-07-05T08:15:03.Z', undefined],
    ['+02026-07-05T08:15:03Z', undefined],
    ['2026-07-05T08:15:03Z\n', undefined],
    ['2026-07-05T08:15:03\u0000Z', undefined],
    ['２０２６-07-05T08:15:03Z', undefined],
  ]
  t.same(
    cases.map(([text]) => [text, canonicalTapTime(text)]),
    cases,
  )
})

t.test('a record may carry the longer fractions ingest wrote before the contract: cut, never rounded', async (t) => {
  t.equal(canonicalTapTime('2026-12-02t04:55:48.795999999999z', 'recorded'), '2026-12-02T04:55:48.795Z')
  t.equal(canonicalTapTime('2026-12-02T04:55:48.795999999999z'), undefined, 'not in an upload')
  t.equal(canonicalTapTime(`2026-12-02T04:55:48.${'9'.repeat(20)}Z`, 'recorded'), undefined, 'longer than ingest ever wrote')
  t.equal(canonicalTapTime('2026-12-02T04:55:48.795+16:00', 'recorded'), undefined, 'an offset beyond ±14:00 is never read')
})

const tap = {
  tapId: '01927F1C-2A3B-7C4D-8E5F-0123456789AB',
  cardToken: 'ct_contract_1',
  kind: 'entry',
  tappedAt: '2026-07-05t08:15:03.1204z',
  routeId: 'bus-10',
}
const canonical = {
  tapId: '01927f1c-2a3b-7c4d-8e5f-0123456789ab',
  cardToken: 'ct_contract_1',
  kind: 'entry',
  tappedAt: '2026-07-05T08:15:03.120Z',
  routeId: 'bus-10',
}
const context = { deviceId: 'validator-1', operatorId: 'lutsk-bus', receivedAt: '2026-07-05T08:15:04.000Z' }

t.test('an upload and a record parse to the same canonical tap', async (t) => {
  t.same(parseTapInput(tap), { ok: true, value: canonical })
  t.same(parseTapEvent({ schema: TAP_EVENT_SCHEMA, ...tap, ...context }), { ok: true, value: { schema: TAP_EVENT_SCHEMA, ...canonical, ...context } })
})

t.test('tap ids: UUIDv7 only', async (t) => {
  for (const tapId of [
    '00000000-0000-0000-0000-000000000000',
    '2f1b6d7e-4c1a-4b8e-9d0f-2a3b4c5d6e7f',
    '01927f1c-2a3b-7c4d-ce5f-0123456789ab',
    '01927f1c2a3b7c4d8e5f0123456789ab',
    ' 01927f1c-2a3b-7c4d-8e5f-0123456789ab',
  ]) {
    const input = parseTapInput({ ...tap, tapId })
    t.match(input, { ok: false, error: /^\/tapId must/ }, tapId)
    t.match(parseTapEvent({ schema: TAP_EVENT_SCHEMA, ...tap, tapId, ...context }), { ok: false, error: /^\/tapId/ }, `${tapId} in a record`)
  }
})

t.test('every string of a record is checked, the context included', async (t) => {
  const bad: [string, string][] = [
    ['deviceId', 'dev\u0000ice'],
    ['operatorId', 'op\n1'],
    ['receivedAt', '2026-07-05T08:15:04.000Z\u0000'],
    ['cardToken', 'c\u0000'],
    ['stopId', 'S\u00001'],
  ]
  for (const [field, value] of bad) {
    t.match(parseTapEvent({ schema: TAP_EVENT_SCHEMA, ...tap, ...context, [field]: value }), { ok: false, error: new RegExp(`^/${field}`) }, field)
  }
  t.match(parseTapEvent({ schema: TAP_EVENT_SCHEMA, ...tap, ...context, extra: 1 }), { ok: false, error: '/extra is not a field of a tap' })
})

t.test('the same tap: every field equal, times as instants', async (t) => {
  const a = { ...canonical, kind: 'entry' as const }
  t.ok(sameTap(a, { ...a, tappedAt: '2026-07-05T11:15:03.120+03:00' }), 'one instant at two offsets')
  t.notOk(sameTap(a, { ...a, tappedAt: '2026-07-05T08:15:03.121Z' }))
  t.notOk(sameTap(a, { ...a, vehicleId: 'AC-1' }))
  t.notOk(sameTap(a, { ...a, deviceSeq: 1 }))
  t.notOk(sameTap({ ...a, deviceId: 'dev-1' }, { ...a, deviceId: 'dev-2' }), 'another device, where both name one')
})
