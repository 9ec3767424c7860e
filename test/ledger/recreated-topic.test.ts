/**
 * A topic recreated under the ledger (a new broker, `pnpm kafka reset`) starts
 * its offsets again at 0 while Postgres still holds the old, higher ones.
 * Skipping up to the stored offset would silently lose the new taps; the
 * ledger must notice the stored offset is past the partition's end and read
 * the partition from its start.
 */
import t from 'tap'
import { createLedgerBench, fundCard, tapEvent } from './harness.ts'

t.test('stored offsets past the end of a recreated topic do not swallow new taps', async (t) => {
  const bench = await createLedgerBench('ledger-recreated', { partitions: 1 })
  t.teardown(() => bench.close())
  await fundCard(bench.database.db, 'ct_recreated_0001', '100.00')
  // What a previous broker left behind: this group had settled 50 records of partition 0.
  await bench.database.db
    .insertInto('kafka_offsets')
    .values({ consumer_group: bench.topics.group, topic: bench.topics.taps, partition: 0, next_offset: '50' })
    .execute()

  await bench.produce([tapEvent({ card: 'ct_recreated_0001', time: '2026-03-02T08:00:00+02:00' })])
  await bench.startInProcess()
  await bench.waitSettled(30_000)

  const taps = await bench.database.db.selectFrom('taps').select('card_token').execute()
  t.same(taps, [{ card_token: 'ct_recreated_0001' }], 'the tap on the new topic is recorded')
  t.equal((await bench.balance('ct_recreated_0001')).toFixed(2), '82.00', 'and charged the bus fare')
})
