/**
 * The ledger's scenarios on the real broker and database, each with cards of
 * its own on one shared ledger: given taps produced to Kafka (in the order a
 * real city sends them, late and repeated ones included), when the ledger
 * settles them, then balances, transfers (kinds, reasons, explanations),
 * rejected taps, the deny list and the invariants are exactly as expected.
 */

import { isDenied, topUp } from '@fare/bookkeeping'
import { loadFeedFromFiles, rate, splitJourneyRevenue } from '@fare/fares'
import { checkInvariants } from '@fare/ledger'
import { type Decimal, parseAmount } from '@fare/money'
import { saveTariffVersion } from '@fare/tariffs'
import { sql } from 'kysely'
import t from 'tap'
import { createLedgerBench, engineTotal, fundCard, tapEvent } from './harness.ts'
import { withDearerBus, withRail } from './tariffs.ts'

const D = parseAmount
const RAIL = withRail()

const bench = await createLedgerBench('ledger-scn', { partitions: 3, tariffFiles: RAIL })
t.teardown(() => bench.close())
const { db } = bench.database
// From June 2026 adults pay 20.00 on buses (the midnight tariff change scenario).
const JUNE = '2026-06-01T00:00:00+03:00'
await saveTariffVersion(db, { name: 'dearer buses', effectiveFrom: JUNE, files: withDearerBus(RAIL) })
await bench.startInProcess()

async function transfersOf(
  card: string,
): Promise<{ kind: string; reason: string | null; amount: Decimal; tapId: string | null; riderPays: boolean; explanation: unknown }[]> {
  const rows = await db
    .selectFrom('transfers')
    .innerJoin('taps', 'taps.tap_id', 'transfers.tap_id')
    .innerJoin('cards', 'cards.card_token', 'taps.card_token')
    .select([
      'transfers.kind',
      'transfers.reason',
      'transfers.amount',
      'transfers.tap_id',
      'transfers.debit_account_id',
      'cards.account_id',
      'transfers.explanation',
    ])
    .where('taps.card_token', '=', card)
    .orderBy('transfers.created_at')
    .execute()
  return rows.map((r) => ({
    kind: r.kind,
    reason: r.reason,
    amount: D(r.amount),
    tapId: r.tap_id,
    riderPays: r.debit_account_id === r.account_id,
    explanation: r.explanation,
  }))
}

t.test('a tap-on-only city day: four bus rides, the day cap stops the fourth', async (t) => {
  await fundCard(db, 'c-day', '100.00')
  const taps = ['07:10', '09:40', '13:05', '18:30'].map((hm) => tapEvent({ card: 'c-day', time: `2026-03-03T${hm}:00+02:00` }))
  await bench.produce(taps)
  await bench.waitSettled()
  t.ok((await bench.balance('c-day')).equals(D('46.00')), '100 - 3 x 18 (day cap 54)')
  const transfers = await transfersOf('c-day')
  t.same(
    transfers.map((x) => [x.kind, x.amount.toFixed(2)]),
    [
      ['fare', '18.00'],
      ['fare', '18.00'],
      ['fare', '18.00'],
    ],
    'three fares, the capped ride posts nothing',
  )
  t.match(transfers[0]?.explanation, { sentence: String, charge: { kind: 'fare' } }, 'explanation stored with the transfer')
})

t.test('tap-on/off: the exit arrives later and completes the leg', async (t) => {
  await fundCard(db, 'c-rail', '100.00')
  const entry = tapEvent({ card: 'c-rail', time: '2026-03-04T08:00:00+02:00', route: 'rail-1', stop: 'R1' })
  await bench.produce([entry])
  await bench.waitSettled()
  t.ok((await bench.balance('c-rail')).equals(D('80.00')), 'incomplete leg charged the highest fare')
  const exit = tapEvent({
    card: 'c-rail',
    kind: 'exit',
    time: '2026-03-04T08:25:00+02:00',
    route: 'rail-1',
    stop: 'R3',
    receivedAt: '2026-03-04T09:30:00+02:00',
  })
  await bench.produce([exit])
  await bench.waitSettled()
  t.ok((await bench.balance('c-rail')).equals(D('90.00')), 'A->A costs 10.00')
  const adjustments = (await transfersOf('c-rail')).filter((x) => x.kind === 'fare_adjustment')
  t.equal(adjustments.length, 1)
  t.match(adjustments[0], { reason: 'exit_completed', tapId: entry.tapId, riderPays: false })
  t.ok(adjustments[0]?.amount.equals(D('10.00')), '10.00 credited back')
})

t.test('an offline validator uploads a day late: the day cap moves, exactly one adjustment', async (t) => {
  await fundCard(db, 'c-late', '200.00')
  const online = ['08:00', '10:00', '12:00', '14:00'].map((hm) => tapEvent({ card: 'c-late', time: `2026-03-05T${hm}:00+02:00` }))
  await bench.produce(online)
  await bench.waitSettled()
  t.ok((await bench.balance('c-late')).equals(D('146.00')))
  const late = tapEvent({ card: 'c-late', time: '2026-03-05T07:00:00+02:00', device: 'offline-validator', receivedAt: '2026-03-06T09:00:00+02:00' })
  await bench.produce([late])
  await bench.waitSettled()
  t.ok((await bench.balance('c-late')).equals(D('146.00')), 'still 54 for the day: the late ride is charged, a later one refunded')
  const transfers = await transfersOf('c-late')
  const adjustments = transfers.filter((x) => x.kind === 'fare_adjustment')
  t.equal(adjustments.length, 1, 'exactly one adjustment')
  t.match(adjustments[0], { reason: 'late_tap', tapId: online[2]?.tapId, riderPays: false })
  t.ok(adjustments[0]?.amount.equals(D('18.00')))
  t.equal(transfers.filter((x) => x.kind === 'fare' && x.tapId === late.tapId).length, 1, 'the late tap has its fare')
})

t.test('duplicates, re-sent batches and bad records', async (t) => {
  await fundCard(db, 'c-dup', '100.00')
  const taps = ['08:00', '09:00'].map((hm) => tapEvent({ card: 'c-dup', time: `2026-03-07T${hm}:00+02:00` }))
  const conflict = { ...taps[0], stopId: 'S9' } as (typeof taps)[number]
  await bench.produce([...taps, taps[0] as (typeof taps)[number]])
  await bench.produce(taps) // the whole batch again, as after a timeout
  await bench.produce([
    conflict,
    { key: 'c-dup', raw: '{"not": "a tap"}' },
    { key: 'c-dup', raw: 'not json' },
    tapEvent({ card: 'c-dup', time: '2026-03-07T10:00:00+02:00', route: 'no-such-route' }),
    tapEvent({ card: 'c-dup', time: '2026-03-07T10:00:00+02:00', stop: 'S404' }),
    tapEvent({ card: 'c-dup', time: '2025-01-01T10:00:00+02:00', receivedAt: '2026-03-07T10:00:00+02:00' }),
  ])
  await bench.produce([tapEvent({ card: 'c-dup', time: '2026-03-07T11:00:00+02:00' })]) // the partition keeps going
  await bench.waitSettled()
  t.ok((await bench.balance('c-dup')).equals(D('46.00')), 'three rides charged once each')
  const rejected = await db
    .selectFrom('rejected_taps')
    .select(['code', 'tap_id'])
    .where((eb) => eb.or([eb('card_token', '=', 'c-dup'), eb('card_token', 'is', null)]))
    .execute()
  t.same(rejected.map((r) => r.code).sort(), ['SCHEMA', 'SCHEMA', 'TAP_CONFLICT', 'TIME_OUT_OF_RANGE', 'UNKNOWN_ROUTE', 'UNKNOWN_STOP'])
  t.equal(rejected.find((r) => r.code === 'TAP_CONFLICT')?.tap_id, conflict.tapId)
  const admin = bench.topics.kafka.admin()
  await admin.connect()
  const dlq = await admin.fetchTopicOffsets(bench.topics.dlq)
  await admin.disconnect()
  t.ok(Number(dlq[0]?.high) >= 6, 'the rejected records are on the DLQ')
  const first = await db.selectFrom('taps').select('stop_id').where('tap_id', '=', conflict.tapId).executeTakeFirstOrThrow()
  t.equal(first.stop_id, 'S1', 'the first version of a conflicting tap is kept')
})

t.test('concession riders: reduced and free fares, the city compensates the operator', async (t) => {
  await fundCard(db, 'c-pupil', '50.00', { riderCategoryId: 'pupil' })
  await fundCard(db, 'c-pension', '0.00', { riderCategoryId: 'pensioner' }).catch(() => undefined)
  await fundCard(db, 'c-pension', '1.00', { riderCategoryId: 'pensioner' })
  await bench.produce([
    tapEvent({ card: 'c-pupil', time: '2026-03-09T08:00:00+02:00' }),
    tapEvent({ card: 'c-pupil', time: '2026-03-09T15:00:00+02:00' }),
    tapEvent({ card: 'c-pension', time: '2026-03-09T10:00:00+02:00' }),
  ])
  await bench.waitSettled()
  t.ok((await bench.balance('c-pupil')).equals(D('32.00')), 'pupil pays 9.00 a ride')
  t.ok((await bench.balance('c-pension')).equals(D('1.00')), 'pensioner rides free')
  const pupil = (await transfersOf('c-pupil')).filter((x) => x.kind === 'concession')
  t.same(
    pupil.map((x) => x.amount.toFixed(2)),
    ['9.00', '9.00'],
    'city owes 18.00 - 9.00 per pupil ride',
  )
  const pension = (await transfersOf('c-pension')).filter((x) => x.kind === 'concession')
  t.same(
    pension.map((x) => x.amount.toFixed(2)),
    ['18.00'],
    'and the full fare for a free ride',
  )
  const concession = await db.selectFrom('accounts').select('balance').where('kind', '=', 'concession').executeTakeFirstOrThrow()
  t.ok(D(concession.balance).equals(D('-36.00')), 'the concession account owes 36.00')
})

t.test('a tariff change at midnight: each ride at the price in force at its time', async (t) => {
  await fundCard(db, 'c-midnight', '100.00')
  await bench.produce([
    tapEvent({ card: 'c-midnight', time: '2026-05-31T23:30:00+03:00' }),
    tapEvent({ card: 'c-midnight', time: '2026-06-01T00:30:00+03:00' }),
  ])
  await bench.waitSettled()
  t.ok((await bench.balance('c-midnight')).equals(D('62.00')), '18.00 before midnight, 20.00 after')
})

t.test('a multi-operator transfer: bus then trolleybus, revenue split pro rata to the legs fares', async (t) => {
  await fundCard(db, 'c-split', '100.00')
  const bus = tapEvent({ card: 'c-split', time: '2026-03-10T10:00:00+02:00' })
  const trolley = tapEvent({ card: 'c-split', time: '2026-03-10T10:30:00+02:00', route: 'trolley-4', stop: 'S3', operator: 'lutsk-trolley' })
  await bench.produce([bus, trolley])
  await bench.waitSettled()
  const tariff = loadFeedFromFiles(RAIL)
  const rating = rate(
    tariff,
    { riderCategoryId: 'adult' },
    [bus, trolley].map((e) => ({ tapId: e.tapId, kind: e.kind, routeId: e.routeId, stopId: e.stopId as string, deviceId: e.deviceId, time: e.tappedAt })),
  )
  t.ok(rating.total.equals(D('23.00')), 'engine: 18.00 + transfer 5.00')
  t.ok((await bench.balance('c-split')).equals(D('77.00')))
  const shares = splitJourneyRevenue(rating, bus.tapId)
  const moved = await db
    .selectFrom('transfers')
    .select(['amount', 'debit_account_id', 'credit_account_id'])
    .where('journey_id', '=', bus.tapId)
    .where('reason', '=', 'revenue_split')
    .execute()
  t.equal(moved.length, 1, 'one transfer between the operators')
  const busShare = shares.get('lutsk-bus') as Decimal
  t.ok(D(moved[0]?.amount ?? '0').equals(D('18.00').minus(busShare)), `bus keeps ${busShare.toFixed(2)} of 23.00`)
  t.ok(busShare.plus(shares.get('lutsk-trolley') as Decimal).equals(D('23.00')), 'shares sum to the journey total')
})

t.test('deny list: one ride on credit, then denied; a top-up restores the card', async (t) => {
  const account = await fundCard(db, 'c-deny', '20.00')
  await bench.produce([tapEvent({ card: 'c-deny', time: '2026-03-11T08:00:00+02:00' })])
  await bench.waitSettled()
  t.notOk(await isDenied(db, 'c-deny'), '2.00 left: one more ride may still be taken on credit')
  await bench.produce([tapEvent({ card: 'c-deny', time: '2026-03-11T10:00:00+02:00' })])
  await bench.waitSettled()
  t.ok((await bench.balance('c-deny')).equals(D('-16.00')))
  t.ok(await isDenied(db, 'c-deny'), 'below zero: denied')
  await topUp(db, { accountId: account, amount: D('10.00'), idempotencyKey: 'deny-1' })
  t.ok(await isDenied(db, 'c-deny'), '-6.00 is still not enough')
  await topUp(db, { accountId: account, amount: D('10.00'), idempotencyKey: 'deny-2' })
  t.notOk(await isDenied(db, 'c-deny'), 'restored at 4.00')
  const changes = await db.selectFrom('deny_list_changes').select(['action', 'reason']).where('card_token', '=', 'c-deny').orderBy('version').execute()
  t.same(changes, [
    { action: 'add', reason: 'balance' },
    { action: 'remove', reason: 'top_up' },
  ])
})

t.test('the invariants hold, and the engine agrees with every posted charge', async (t) => {
  const violations = await checkInvariants(db, { source: bench.source })
  t.same(violations, [])
  t.ok(engineTotal(loadFeedFromFiles(RAIL), [tapEvent({ card: 'x', time: '2026-03-03T07:10:00+02:00' })]).equals(D('18.00')))
})

t.test('a report row that no longer agrees with the engine is reported', async (t) => {
  const row = await db.selectFrom('tap_charges').select(['tap_id', 'amount']).where('amount', '>', '0').orderBy('tap_id').executeTakeFirstOrThrow()
  await sql`update tap_charges set amount = amount + 1 where tap_id = ${row.tap_id}`.execute(db)
  t.teardown(() => sql`update tap_charges set amount = ${row.amount} where tap_id = ${row.tap_id}`.execute(db))
  const violations = await checkInvariants(db, { source: bench.source })
  t.same(
    violations.map((v) => v.invariant),
    ['the daily rollup equals tap_charges', "each tap's report row agrees with the engine"],
    'the row no longer agrees with the engine, nor with the rollup the ledger kept beside it',
  )
  t.match(violations.find((v) => v.invariant === "each tap's report row agrees with the engine")?.detail, row.tap_id)
})

t.test('the daily rollup: a late tap re-rated earlier charges, and the rollup moved with them; a tampered row is reported', async (t) => {
  // The late-upload scenario above rewrote charges of 2026-03-05: the rollup took the old figures away and added the new.
  const sums = await sql<{ rollup: string; charges: string; rollup_rides: string; rides: string }>`
    select (select sum(amount)::text from tap_charge_days where service_day = '2026-03-05') as rollup,
           (select sum(amount)::text from tap_charges where service_day = '2026-03-05') as charges,
           (select sum(rides)::text from tap_charge_days where service_day = '2026-03-05') as rollup_rides,
           (select count(*)::text from tap_charges where service_day = '2026-03-05' and tap_kind = 'entry' and charge_kind <> 'double_tap') as rides`.execute(
    db,
  )
  const day = sums.rows[0]
  t.ok(day && D(day.rollup).equals(D(day.charges)), `the day's amount: ${day?.rollup} in the rollup, ${day?.charges} in tap_charges`)
  t.equal(day?.rollup_rides, day?.rides, "the day's rides")

  const row = await db.selectFrom('tap_charge_days').select(['service_day', 'operator_id', 'shard', 'amount']).orderBy('service_day').executeTakeFirstOrThrow()
  const tampered = sql`service_day = ${row.service_day} and operator_id = ${row.operator_id} and shard = ${row.shard}`
  await sql`update tap_charge_days set amount = amount + 1 where ${tampered}`.execute(db)
  t.teardown(() => sql`update tap_charge_days set amount = amount - 1 where ${tampered}`.execute(db))
  const violations = await checkInvariants(db, { source: bench.source, rerate: false })
  t.same([...new Set(violations.map((v) => v.invariant))], ['the daily rollup equals tap_charges'], "one violation per route's group tampered")
  t.match(violations[0]?.detail, /amount .* in the rollup, .* in tap_charges/)
})
