/**
 * Two ledger processes in one consumer group share the partitions; when one
 * dies (SIGKILL, no goodbye) the other takes its partitions over from the
 * offsets stored in Postgres: nothing lost, nothing doubled.
 */

import type { ChildProcess } from 'node:child_process'
import { parseAmount } from '@fare/money'
import t from 'tap'
import { assertSettledExactly, createLedgerBench, fundFleet, randomFleet, seeded, shuffle } from './harness.ts'

const seed = Number(process.env.TWO_LEDGERS_SEED ?? Date.now() % 1_000_000)
const next = seeded(seed)
const OPENING = parseAmount('1000.00')

t.test(`two ledgers share a group; one is killed, the other takes over (seed ${seed})`, async (t) => {
  const bench = await createLedgerBench('ledger-two', { partitions: 6 })
  t.teardown(() => bench.close())
  const fleet = randomFleet(next, { cards: 120, taps: 1500, prefix: 'two' })
  await fundFleet(bench.database.db, fleet, OPENING.toFixed(2))
  const records = shuffle(next, [...fleet.taps, ...fleet.taps.filter(() => next() < 0.1)])
  const half = Math.floor(records.length / 2)
  const exited = (child: ChildProcess): Promise<void> =>
    new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())))

  const a = bench.spawnLedger()
  const b = bench.spawnLedger()
  await bench.produce(records.slice(0, half))
  await bench.waitSettled(60_000)
  const partitionsUsed = await bench.database.db.selectFrom('kafka_offsets').select('partition').execute()
  t.equal(partitionsUsed.length, 6, 'all partitions settled by the pair')

  // Kill one mid-stream: its partitions must move to the survivor.
  const second = bench.produce(records.slice(half))
  await new Promise((r) => setTimeout(r, 300))
  a.kill('SIGKILL')
  await exited(a)
  await second
  await bench.waitSettled(60_000)
  b.kill('SIGTERM')
  await exited(b)

  await assertSettledExactly(t, bench, fleet, OPENING)
})
