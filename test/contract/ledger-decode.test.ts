/**
 * The ledger decodes a record with the tap contract's parser: a record in a
 * form ingest wrote before the contract was one (an upper-case id, a lower-case
 * `t`, 12 fraction digits, an offset of +16:00) is canonicalised when it can
 * be and dead-lettered as SCHEMA when it cannot, and the partition moves on.
 * Raw records go straight onto a test topic of the real broker; the ledger
 * settles them into a test database of the real Postgres.
 */

import { newTapId, TAP_EVENT_SCHEMA } from '@fare/contracts'
import { checkInvariants } from '@fare/ledger'
import { parseAmount } from '@fare/money'
import t from 'tap'
import { createLedgerBench, demoTariff, engineTotal, fundCard, tapEvent } from '../ledger/harness.ts'

const bench = await createLedgerBench('contract-decode')
t.teardown(() => bench.close())
const { db } = bench.database
await bench.startInProcess()

/** A record as raw JSON text, the fields as given (no canonical form applied). */
function raw(card: string, fields: { tapId: string; tappedAt: string; receivedAt?: string; stopId?: string }): { key: string; raw: string } {
  const { tapId, tappedAt, receivedAt = tappedAt.toUpperCase(), stopId = 'S1' } = fields
  return {
    key: card,
    raw: JSON.stringify({
      schema: TAP_EVENT_SCHEMA,
      tapId,
      cardToken: card,
      kind: 'entry',
      tappedAt,
      routeId: 'bus-10',
      stopId,
      deviceId: 'dev-bus-10',
      operatorId: 'lutsk-bus',
      receivedAt,
    }),
  }
}

async function recorded(card: string): Promise<{ tap_id: string; tapped_at_text: string }[]> {
  return db.selectFrom('taps').select(['tap_id', 'tapped_at_text']).where('card_token', '=', card).orderBy('tapped_at').execute()
}

async function rejectedCodes(card: string): Promise<{ code: string; detail: string }[]> {
  return db.selectFrom('rejected_taps').select(['code', 'detail']).where('card_token', '=', card).orderBy('offset').execute()
}

t.test('pre-contract records: canonicalised when they can be, SCHEMA when they cannot; the partition moves on', async (t) => {
  const card = 'ct_legacy_0001'
  await fundCard(db, card, '200.00')
  const upperId = newTapId().toUpperCase()
  const zId = newTapId()
  const sixteen = newTapId()
  const v4 = '2f1b6d7e-4c1a-4b8e-9d0f-2a3b4c5d6e7f'
  const nil = '00000000-0000-0000-0000-000000000000'
  const after = tapEvent({ card, time: '2026-03-13T08:00:00.000+02:00' })
  await bench.produce([
    raw(card, { tapId: upperId, tappedAt: '2026-03-10t08:00:00.123456789012+02:00', receivedAt: '2026-03-10T06:00:01.000Z' }),
    // The same tap again, its id in lower case: one tap, charged once.
    raw(card, { tapId: upperId.toLowerCase(), tappedAt: '2026-03-10T06:00:00.123Z', receivedAt: '2026-03-10T06:00:02.000Z' }),
    raw(card, { tapId: zId, tappedAt: '2026-03-11t10:00:00.5z' }),
    raw(card, { tapId: sixteen, tappedAt: '2026-03-12T22:00:00.000+16:00', receivedAt: '2026-03-12T06:00:00.000Z' }),
    raw(card, { tapId: v4, tappedAt: '2026-03-12T08:00:00.000+02:00' }),
    raw(card, { tapId: nil, tappedAt: '2026-03-12T08:00:00.000+02:00' }),
    raw(card, { tapId: newTapId(), tappedAt: '2026-03-12T08:00:00.000+02:00', receivedAt: '2026-03-12T06:00:00.000Z\u0000' }),
    after,
  ])
  await bench.waitSettled()

  t.same(
    await recorded(card),
    [
      { tap_id: upperId.toLowerCase(), tapped_at_text: '2026-03-10T08:00:00.123+02:00' },
      { tap_id: zId, tapped_at_text: '2026-03-11T10:00:00.500Z' },
      { tap_id: after.tapId, tapped_at_text: '2026-03-13T08:00:00.000+02:00' },
    ],
    'recorded once each, in canonical form',
  )
  const expected = engineTotal(demoTariff(), [
    tapEvent({ card, tapId: upperId.toLowerCase(), time: '2026-03-10T08:00:00.123+02:00' }),
    tapEvent({ card, tapId: zId, time: '2026-03-11T10:00:00.500Z' }),
    after,
  ])
  t.ok((await bench.balance(card)).equals(parseAmount('200.00').minus(expected)), `charged ${expected.toFixed(2)} once`)

  const rejected = await db.selectFrom('rejected_taps').select(['code', 'detail', 'tap_id']).where('topic', '=', bench.topics.taps).orderBy('offset').execute()
  t.same(
    rejected.map((r) => r.code),
    ['SCHEMA', 'SCHEMA', 'SCHEMA', 'SCHEMA'],
    'the +16:00 offset, the v4 and nil ids and the NUL byte are dead letters',
  )
  t.match(
    rejected.map((r) => r.detail),
    [/tappedAt/, /tapId/, /tapId/, /receivedAt/],
  )
  const admin = bench.topics.kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  const dlq = await admin.fetchTopicOffsets(bench.topics.dlq)
  t.ok(Number(dlq[0]?.high) >= 4, 'and on the DLQ topic')
  t.same(await checkInvariants(db, { source: bench.source }), [], 'ledger:check passes')
})

t.test('an accepted tap re-sent with its id in upper case is a duplicate, charged once', async (t) => {
  const card = 'ct_legacy_0002'
  await fundCard(db, card, '100.00')
  const first = tapEvent({ card, time: '2026-03-16T09:00:00.000+02:00' })
  await bench.produce([first])
  await bench.waitSettled()
  const charged = await bench.balance(card)
  t.ok(charged.lessThan(parseAmount('100.00')), 'the first upload is charged')

  const upper = { ...first, tapId: first.tapId.toUpperCase() }
  const variant = { ...first, tapId: first.tapId.replace(/[a-f]/, (c) => c.toUpperCase()), tappedAt: '2026-03-16T07:00:00.000999Z' }
  const later = tapEvent({ card, time: '2026-03-16T12:00:00.000+02:00' })
  await bench.produce([upper, variant, later])
  await bench.waitSettled()
  t.same(
    (await recorded(card)).map((r) => r.tap_id),
    [first.tapId, later.tapId],
    'the re-sent tap is not recorded again',
  )
  t.same(await rejectedCodes(card), [], 'nor rejected')
  const expected = engineTotal(demoTariff(), [first, later])
  t.ok((await bench.balance(card)).equals(parseAmount('100.00').minus(expected)), `charged ${expected.toFixed(2)}: the first tap once, the later one`)
})

t.test('two case variants of one id with different content: the first is kept, the second is a TAP_CONFLICT', async (t) => {
  const card = 'ct_legacy_0003'
  await fundCard(db, card, '100.00')
  const id = newTapId()
  await bench.produce([
    raw(card, { tapId: id.toUpperCase(), tappedAt: '2026-03-17T09:00:00.000+02:00' }),
    raw(card, { tapId: id, tappedAt: '2026-03-17T09:00:00.000+02:00', stopId: 'S2' }),
  ])
  await bench.waitSettled()
  t.same(
    (await recorded(card)).map((r) => r.tap_id),
    [id],
  )
  t.same(
    (await rejectedCodes(card)).map((r) => r.code),
    ['TAP_CONFLICT'],
  )
  const stop = await db.selectFrom('taps').select('stop_id').where('tap_id', '=', id).executeTakeFirstOrThrow()
  t.equal(stop.stop_id, 'S1', 'the first is kept')
})

t.test('a tap event names its version: one this ledger has no reader for is UNKNOWN_VERSION, and the partition moves on', async (t) => {
  const card = 'ct_version_0001'
  await fundCard(db, card, '200.00')
  const v1 = JSON.parse(raw(card, { tapId: newTapId(), tappedAt: '2026-03-14T08:00:00.000+02:00' }).raw) as Record<string, unknown>
  const { schema: _version, ...unversioned } = v1
  const after = tapEvent({ card, time: '2026-03-14T09:00:00.000+02:00' })
  await bench.produce([
    { key: card, raw: JSON.stringify({ ...v1, schema: 'tap.v2', fareCapsule: 'a field only v2 has' }) },
    { key: card, raw: JSON.stringify({ ...unversioned, tapId: newTapId() }) },
    after,
  ])
  await bench.waitSettled()

  t.same(
    (await recorded(card)).map((r) => r.tap_id),
    [after.tapId],
    'the v1 tap after them is settled',
  )
  const rejected = await db
    .selectFrom('rejected_taps')
    .select(['code', 'detail'])
    .where('topic', '=', bench.topics.taps)
    .where('value', 'like', `%${card}%`)
    .orderBy('offset')
    .execute()
  t.same(
    rejected.map((r) => r.code),
    ['UNKNOWN_VERSION', 'SCHEMA'],
    'a version it does not read, and a record with no version',
  )
  t.match(rejected[0]?.detail, /"tap\.v2".*tap\.v1/, 'the detail names the version and what this ledger reads')
})
