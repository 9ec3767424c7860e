/**
 * A tap already recorded that its tariff version cannot rate (a route the
 * version does not know: a back-dated correction removed it, or it was
 * recorded before routes were checked) must not block its card: the card's
 * later taps are charged as usual, and the old tap keeps what was posted.
 */
import t from 'tap'
import { createLedgerBench, fundCard, tapEvent } from './harness.ts'

t.test('a recorded tap the tariff cannot rate does not block its card', async (t) => {
  const bench = await createLedgerBench('ledger-unratable', { partitions: 1 })
  t.teardown(() => bench.close())
  const db = bench.database.db
  await fundCard(db, 'ct_unratable_0001', '100.00')
  await db
    .insertInto('taps')
    .values({
      tap_id: '01900000-0000-7000-8000-000000000001',
      card_token: 'ct_unratable_0001',
      kind: 'entry',
      tapped_at: '2026-03-02T07:30:00+02:00',
      tapped_at_text: '2026-03-02T07:30:00+02:00',
      route_id: 'ghost-route',
      device_id: 'dev-old',
      operator_id: 'lutsk-bus',
      received_at: '2026-03-02T07:30:01+02:00',
      kafka_partition: 0,
      kafka_offset: '0',
    })
    .execute()

  await bench.produce([tapEvent({ card: 'ct_unratable_0001', time: '2026-03-02T08:00:00+02:00' })])
  await bench.startInProcess()
  await bench.waitSettled(30_000)

  const rejected = await db.selectFrom('rejected_taps').select(['code', 'detail']).execute()
  t.same(rejected, [], 'the new tap is not dead-lettered')
  t.equal((await bench.balance('ct_unratable_0001')).toFixed(2), '82.00', 'the new tap is charged the bus fare')
  const oldTransfers = await db.selectFrom('transfers').select('id').where('tap_id', '=', '01900000-0000-7000-8000-000000000001').execute()
  t.same(oldTransfers, [], 'the old tap keeps what was posted for it (nothing)')
})
