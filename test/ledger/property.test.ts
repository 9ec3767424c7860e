/**
 * Property: order and repetition do not matter. For random taps of several
 * cards (bus and trolleybus, adults and concession riders, over a few days so
 * transfers and day caps interact), produced to Kafka in a random order, in
 * random chunks, with random duplicates, the ledger ends with exactly the
 * balances the pure engine computes for the set rated in one go. This is
 * docs/fares.md section 5's promise, held end to end by the ledger's re-rating and
 * difference posting, and it is what makes late and resent taps safe.
 */

import { checkInvariants } from '@fare/ledger'
import { parseAmount } from '@fare/money'
import fc from 'fast-check'
import t from 'tap'
import { balancesOf, createLedgerBench, demoTariff, expectedBalances, fundFleet, randomFleet, seeded, shuffle } from './harness.ts'

const OPENING = parseAmount('500.00')

t.test('random order and duplicates end in the engine balances', async (t) => {
  const bench = await createLedgerBench('ledger-prop', { partitions: 3 })
  t.teardown(() => bench.close())
  await bench.startInProcess()
  const tariff = demoTariff()
  let run = 0
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
      run++
      const next = seeded(seed)
      const fleet = randomFleet(next, { cards: 6, taps: 40 + Math.floor(next() * 40), days: 2, prefix: `prop${run}` })
      await fundFleet(bench.database.db, fleet, OPENING.toFixed(2))
      const records = shuffle(next, [...fleet.taps, ...fleet.taps.filter(() => next() < 0.3)])
      // Random chunk sizes: some taps arrive alone, long after the ones around them.
      for (let i = 0; i < records.length; ) {
        const size = 1 + Math.floor(next() * 15)
        await bench.produce(records.slice(i, i + size))
        i += size
      }
      await bench.waitSettled()
      const expected = expectedBalances(tariff, fleet, OPENING)
      const actual = await balancesOf(
        bench.database.db,
        fleet.cards.map((c) => c.token),
      )
      for (const [token, want] of expected) {
        if (actual.get(token)?.equals(want) !== true) throw new Error(`seed ${seed}: ${token} want ${want.toFixed(2)} got ${actual.get(token)?.toFixed(2)}`)
      }
    }),
    { numRuns: 6 },
  )
  t.same(await checkInvariants(bench.database.db, { source: bench.source }), [], 'and every invariant holds')
})
