/**
 * `ledger:check`'s offset invariant is about one consumer group on one topic:
 * another group's stored offsets (a second environment sharing the database,
 * an old topic) must not vouch for records this ledger never settled.
 */

import { spawnSync } from 'node:child_process'
import { checkInvariants } from '@fare/ledger'
import t from 'tap'
import { ledgerCheckCommand } from '../support/entries.ts'
import { createLedgerBench, fundCard, tapEvent } from './harness.ts'

t.test('the offset check filters by consumer group and topic', async (t) => {
  const bench = await createLedgerBench('ledger-check-offsets', { partitions: 1 })
  t.teardown(() => bench.close())
  const { db } = bench.database
  await fundCard(db, 'c-offsets', '100.00')
  await bench.produce([tapEvent({ card: 'c-offsets', time: '2026-03-03T08:00:00Z' })])
  await bench.startInProcess()
  await bench.waitSettled()
  const offsetInvariants = async (source?: { consumerGroup: string; topic: string }): Promise<string[]> =>
    (await checkInvariants(db, { rerate: false, ...(source ? { source } : {}) })).map((v) => v.invariant)

  t.same(await offsetInvariants(bench.source), [], "against the ledger's own group and topic: clean")
  t.same(
    await offsetInvariants({ consumerGroup: 'someone-else', topic: bench.topics.taps }),
    ['recorded taps lie below the stored offsets'],
    "another group's offsets do not count",
  )
  t.same(
    await offsetInvariants({ consumerGroup: bench.topics.group, topic: 'another-topic' }),
    ['recorded taps lie below the stored offsets'],
    "nor another topic's",
  )
  t.same(await offsetInvariants(), ['recorded taps lie below the stored offsets'], 'the default is the service default (group ledger, topic taps)')

  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [...ledgerCheckCommand(), ...args], {
      env: { ...process.env, DATABASE_URL: bench.database.url, LEDGER_CHECK_RERATE: '0', LEDGER_GROUP: '', TAPS_TOPIC: '' },
      encoding: 'utf8',
    })
  const own = cli('--group', bench.topics.group, '--topic', bench.topics.taps)
  t.equal(own.status, 0, `pnpm ledger:check --group --topic of the ledger: exit 0 (${own.stdout.trim()})`)
  const other = cli('--group', 'someone-else', '--topic', bench.topics.taps)
  t.equal(other.status, 1, 'another group: exit 1')
  t.match(other.stdout, /VIOLATION \[recorded taps lie below the stored offsets\]/)
})
