/**
 * Crash safety: the ledger runs as a child process (as the `fare_app` role)
 * and is SIGKILLed at random moments while several thousand taps (with
 * duplicates) stream in; it is restarted each time. Afterwards every
 * invariant holds (`checkInvariants`, what `pnpm ledger:check` runs) and every
 * balance is exactly what the pure engine charges for the set of taps:
 * nothing lost, nothing doubled, whatever moment the process died.
 */

import type { ChildProcess } from 'node:child_process'
import { parseAmount } from '@fare/money'
import t from 'tap'
import { assertSettledExactly, createLedgerBench, fundFleet, randomFleet, seeded, shuffle } from './harness.ts'

const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000)
const next = seeded(seed)
const OPENING = parseAmount('2000.00')

t.test(`SIGKILL the ledger mid-run, restart, repeat (seed ${seed})`, async (t) => {
  const bench = await createLedgerBench('ledger-crash', { partitions: 6 })
  t.teardown(() => bench.close())
  const fleet = randomFleet(next, { cards: 200, taps: 3000, prefix: 'crash' })
  await fundFleet(bench.database.db, fleet, OPENING.toFixed(2))
  // Every tap once, 10% of them again, all shuffled: out of order and repeated.
  const records = shuffle(next, [...fleet.taps, ...fleet.taps.filter(() => next() < 0.1)])
  const waves = 5
  const size = Math.ceil(records.length / waves)

  const exited = (child: ChildProcess): Promise<void> =>
    new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())))
  let ledger = bench.spawnLedger()
  let kills = 0
  for (let w = 0; w < waves; w++) {
    await bench.produce(records.slice(w * size, (w + 1) * size))
    if (w === waves - 1) break
    await new Promise((r) => setTimeout(r, 1500 + Math.floor(next() * 2500)))
    ledger.kill('SIGKILL')
    await exited(ledger)
    kills++
    ledger = bench.spawnLedger()
  }
  await bench.waitSettled(90_000)
  ledger.kill('SIGTERM')
  await exited(ledger)
  t.equal(kills, waves - 1)

  await assertSettledExactly(t, bench, fleet, OPENING)
})
