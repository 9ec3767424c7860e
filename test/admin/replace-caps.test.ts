/**
 * A replaced card's cap progress moves to the new card: the real ledger rates
 * the new card's taps together with the taps of the card it replaced (context
 * only, never charged again), so a day cap reached across the two cards
 * stops charging, and ledger:check, which rates the same way, holds.
 */
import t from 'tap'
import { Decimal } from '@fare/money'
import { replaceCard } from '@fare/bookkeeping'
import { checkInvariants } from '@fare/ledger'
import { createLedgerBench, fundCard, tapEvent } from '../ledger/harness.ts'

const bench = await createLedgerBench('admin-caps', { partitions: 3 })
t.teardown(() => bench.close())
const { db } = bench.database
await bench.startInProcess()
const admin = { subject: 'admin-1', role: 'admin' }

t.test('the day cap reached across a lost card and its replacement', async (t) => {
  await fundCard(db, 'ct_caps_old_0001', '100.00')
  await bench.produce(['07:10', '09:40'].map((hm) => tapEvent({ card: 'ct_caps_old_0001', time: `2026-03-03T${hm}:00+02:00` })))
  await bench.waitSettled()
  t.ok((await bench.balance('ct_caps_old_0001')).equals(new Decimal('64.00')), 'two rides of 18.00 on the old card')

  const replaced = await replaceCard(db, admin, 'ct_caps_old_0001', { newCardToken: 'ct_caps_new_0001', reason: 'lost at noon' })
  t.ok(replaced.replacement.balance.equals(new Decimal('64.00')), 'the balance moved')

  await bench.produce(['13:05', '18:30'].map((hm) => tapEvent({ card: 'ct_caps_new_0001', time: `2026-03-03T${hm}:00+02:00` })))
  await bench.waitSettled()
  t.ok((await bench.balance('ct_caps_new_0001')).equals(new Decimal('46.00')), 'one more 18.00 reaches the day cap of 54.00; the fourth ride is free')
  t.ok((await bench.balance('ct_caps_old_0001')).isZero(), 'the old card keeps nothing')
  const fares = await db
    .selectFrom('transfers')
    .innerJoin('taps', 'taps.tap_id', 'transfers.tap_id')
    .select(['taps.card_token', 'transfers.kind', 'transfers.amount'])
    .where('transfers.kind', 'in', ['fare', 'fare_adjustment'])
    .orderBy('taps.tapped_at')
    .execute()
  t.same(fares.map((f) => [f.card_token, f.kind, f.amount]), [
    ['ct_caps_old_0001', 'fare', '18.00'],
    ['ct_caps_old_0001', 'fare', '18.00'],
    ['ct_caps_new_0001', 'fare', '18.00'],
  ], "the old card's taps are never charged again")
  t.same(await checkInvariants(db, { source: bench.source }), [])
})
