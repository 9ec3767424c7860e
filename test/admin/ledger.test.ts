/**
 * Administrators' changes as the real ledger sees them. A replaced card's cap
 * progress moves to the new card: the ledger rates the new card's taps with the
 * taps of the card it replaced (context only, never charged again). A category
 * change applies from the moment it is made: taps before it, even arriving
 * late, are rated with the category the card had then. ledger:check, which
 * rates the same way, holds after both.
 */

import { changeCategory, replaceCard } from '@fare/bookkeeping'
import { checkInvariants } from '@fare/ledger'
import { parseAmount } from '@fare/money'
import t from 'tap'
import { createLedgerBench, fundCard, tapEvent } from '../ledger/harness.ts'

const bench = await createLedgerBench('admin-ledger', { partitions: 3 })
t.teardown(() => bench.close())
const { db } = bench.database
await bench.startInProcess()
const admin = { subject: 'admin-1', role: 'admin' }
const D = parseAmount

t.test('the day cap reached across a lost card and its replacement', async (t) => {
  await fundCard(db, 'ct_caps_old_0001', '100.00')
  await bench.produce(['07:10', '09:40'].map((hm) => tapEvent({ card: 'ct_caps_old_0001', time: `2026-03-03T${hm}:00+02:00` })))
  await bench.waitSettled()
  t.ok((await bench.balance('ct_caps_old_0001')).equals(D('64.00')), 'two rides of 18.00 on the old card')

  const replaced = await replaceCard(db, admin, 'ct_caps_old_0001', { newCardToken: 'ct_caps_new_0001', reason: 'lost at noon' })
  t.ok(replaced.replacement.balance.equals(D('64.00')), 'the balance moved')

  await bench.produce(['13:05', '18:30'].map((hm) => tapEvent({ card: 'ct_caps_new_0001', time: `2026-03-03T${hm}:00+02:00` })))
  await bench.waitSettled()
  t.ok((await bench.balance('ct_caps_new_0001')).equals(D('46.00')), 'one more 18.00 reaches the day cap of 54.00; the fourth ride is free')
  t.ok((await bench.balance('ct_caps_old_0001')).isZero(), 'the old card keeps nothing')
  const fares = await db
    .selectFrom('transfers')
    .innerJoin('taps', 'taps.tap_id', 'transfers.tap_id')
    .select(['taps.card_token', 'transfers.kind', 'transfers.amount'])
    .where('transfers.kind', 'in', ['fare', 'fare_adjustment'])
    .where('taps.card_token', 'like', 'ct_caps_%')
    .orderBy('taps.tapped_at')
    .execute()
  t.same(
    fares.map((f) => [f.card_token, f.kind, f.amount]),
    [
      ['ct_caps_old_0001', 'fare', '18.00'],
      ['ct_caps_old_0001', 'fare', '18.00'],
      ['ct_caps_new_0001', 'fare', '18.00'],
    ],
    "the old card's taps are never charged again",
  )
  t.same(await checkInvariants(db, { source: bench.source }), [])
})

/** A tap time `hours` from now, with the +02:00 offset validators in Lutsk send in winter. */
function hoursFromNow(hours: number): string {
  return new Date(Date.now() + hours * 3_600_000 + 2 * 3_600_000).toISOString().replace('Z', '+02:00')
}

t.test('a category change prices rides after it; rides before it, even uploaded late, keep the old category', async (t) => {
  await fundCard(db, 'ct_category_0001', '100.00')
  const before = tapEvent({ card: 'ct_category_0001', time: hoursFromNow(-3) })
  await bench.produce([before])
  await bench.waitSettled()
  t.ok((await bench.balance('ct_category_0001')).equals(D('82.00')), 'an adult ride, 18.00')

  await changeCategory(db, admin, 'ct_category_0001', { riderCategoryId: 'pupil', reason: 'school certificate' })
  await bench.produce([tapEvent({ card: 'ct_category_0001', time: hoursFromNow(1) })])
  await bench.waitSettled()
  t.ok((await bench.balance('ct_category_0001')).equals(D('73.00')), 'a pupil ride after the change, 9.00')

  // An offline validator's tap from before the change arrives now: the card was adult then.
  await bench.produce([tapEvent({ card: 'ct_category_0001', time: hoursFromNow(-2), receivedAt: hoursFromNow(0.5) })])
  await bench.waitSettled()
  t.ok((await bench.balance('ct_category_0001')).equals(D('55.00')), 'the late ride is an adult 18.00, and nothing before the change is re-priced')
  const adjustments = await db
    .selectFrom('transfers')
    .innerJoin('taps', 'taps.tap_id', 'transfers.tap_id')
    .select('transfers.id')
    .where('taps.card_token', '=', 'ct_category_0001')
    .where('transfers.kind', '=', 'fare_adjustment')
    .execute()
  t.same(adjustments, [], 'no adjustment')
  t.same(await checkInvariants(db, { source: bench.source }), [])
})
