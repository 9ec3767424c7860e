/**
 * A poison record never blocks its partition. Records that make a batch's
 * transaction fail are produced straight onto the topic (bypassing ingest, as
 * a bug or an older producer would): the ledger finds each one by retrying the
 * batch in halves, dead-letters it (DLQ with its error headers, a
 * `rejected_taps` row with a code) and goes on; the good taps around them are
 * charged exactly once. And a failure that is not the record's fault (the
 * ledger's Postgres connections killed under it) is retried, never
 * dead-lettered.
 */

import type { ChildProcess } from 'node:child_process'
import type { TapEvent } from '@fare/contracts'
import { checkInvariants } from '@fare/ledger'
import { parseAmount } from '@fare/money'
import { sql } from 'kysely'
import t from 'tap'
import {
  assertSettledExactly,
  createLedgerBench,
  demoTariff,
  engineTotal,
  fundCard,
  fundFleet,
  type LedgerBench,
  randomFleet,
  seeded,
  tapEvent,
} from './harness.ts'

const D = parseAmount

/** Every record on the file's DLQ topic, with its headers as strings. */
async function readDlq(bench: LedgerBench, expected: number): Promise<{ value: string; headers: Record<string, string> }[]> {
  const consumer = bench.topics.kafka.consumer({ groupId: `${bench.topics.group}-dlq-reader` })
  const out: { value: string; headers: Record<string, string> }[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic: bench.topics.dlq, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`DLQ: ${out.length} of ${expected} records within 60 s`)), 60_000)
      void consumer.run({
        eachMessage: async ({ message }) => {
          const headers: Record<string, string> = {}
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v)
          out.push({ value: message.value?.toString('utf8') ?? '', headers })
          if (out.length >= expected) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
    })
  } finally {
    await consumer.disconnect()
  }
  return out
}

t.test('records that make a batch fail are dead-lettered with a code; the partition moves on', async (t) => {
  const bench = await createLedgerBench('ledger-poison', { partitions: 1 })
  t.teardown(() => bench.close())
  const { db } = bench.database
  await fundCard(db, 'c-poison', '500.00')
  // A constraint no schema knows about: a stand-in for any record Postgres refuses for reasons of its own.
  await sql`alter table taps add constraint poison_test_device check (device_id <> 'dev-poison')`.execute(db)

  const at = (hm: string): string => `2026-03-03T${hm}:00.000Z`
  const good = ['06:00', '07:00', '09:00', '10:00'].map((hm) => tapEvent({ card: 'c-poison', time: at(hm) }))
  const raw = (event: TapEvent): { key: string; raw: string } => ({ key: event.cardToken, raw: JSON.stringify(event) })
  const lowerCaseTime = { ...tapEvent({ card: 'c-poison', time: at('07:10') }), tappedAt: '2026-03-03t07:10:00.000z' }
  const farOffset = { ...tapEvent({ card: 'c-poison', time: at('07:20') }), tappedAt: '2026-03-03T23:20:00.000+16:00' }
  const refused = tapEvent({ card: 'c-poison', time: at('07:30'), device: 'dev-poison' })
  // One tap id twice, lower case then upper case (a validator's retry formatting UUIDs its own way).
  const twin = tapEvent({ card: 'c-poison', time: at('08:00') })
  const twinUpper = { ...twin, tapId: twin.tapId.toUpperCase() }

  await bench.produce([good[0] as TapEvent])
  await bench.produce([raw(lowerCaseTime), raw(farOffset), good[1] as TapEvent, refused, twin, raw(twinUpper), good[2] as TapEvent])
  await bench.startInProcess()
  await bench.produce([good[3] as TapEvent])
  await bench.waitSettled(90_000)

  // Since the tap contract, the decoder canonicalises a lower-case time (so that record is charged)
  // and refuses an offset beyond 14:00 as SCHEMA; the refused device is what no schema catches.
  const recorded = await db.selectFrom('taps').select('tap_id').where('card_token', '=', 'c-poison').execute()
  const ids = new Set(recorded.map((r) => r.tap_id))
  const charged = [...good, lowerCaseTime, twin] // the twin counts once, whichever copy was taken
  t.ok(
    charged.every((e) => ids.has(e.tapId)),
    'every good tap after the poison records was recorded',
  )
  t.notOk(ids.has(refused.tapId), 'the refused record was not recorded')
  const canonicalLowerCase = { ...lowerCaseTime, tappedAt: at('07:10') }
  const expected = D('500.00').minus(engineTotal(demoTariff(), [...good, canonicalLowerCase, twin]))
  t.ok((await bench.balance('c-poison')).equals(expected), `the ${charged.length} good rides charged once each`)

  const rejected = await db
    .selectFrom('rejected_taps')
    .select(['offset', 'code', 'detail', 'tap_id', 'value'])
    .where('topic', '=', bench.topics.taps)
    .orderBy('offset')
    .execute()
  const rejectionOf = (tapId: string) => rejected.find((r) => r.tap_id === tapId || (r.value ?? '').includes(tapId))
  t.equal(rejectionOf(refused.tapId)?.code, 'SETTLE_FAILED', 'a record Postgres refuses is dead-lettered as SETTLE_FAILED')
  t.match(rejectionOf(refused.tapId)?.detail, /poison_test_device/, 'with the error text')
  t.equal(rejectionOf(farOffset.tapId)?.code, 'SCHEMA', 'an offset beyond 14:00 is dead-lettered as SCHEMA')
  t.ok(
    rejected.every((r) => r.code.length > 0 && r.detail.length > 0),
    'every rejected row has a code and a detail',
  )
  t.notOk(
    rejected.some((r) => charged.some((g) => g.tapId === r.tap_id)),
    'no good tap was dead-lettered',
  )

  const dlq = await readDlq(bench, rejected.length)
  t.same(dlq.map((m) => m.headers['x-source-offset']).sort(), rejected.map((r) => r.offset).sort(), 'each dead-lettered record is on the DLQ')
  const refusedOnDlq = dlq.find((m) => m.value.includes(refused.tapId))
  t.equal(refusedOnDlq?.headers['x-reject-code'], 'SETTLE_FAILED')
  t.match(refusedOnDlq?.headers['x-reject-detail'], /poison_test_device/)
  t.same(await checkInvariants(db, { source: bench.source }), [], 'ledger:check passes')
})

t.test('Postgres connections killed under the ledger: every tap charged once, none dead-lettered', async (t) => {
  const bench = await createLedgerBench('ledger-pgkill', { partitions: 3 })
  t.teardown(() => bench.close())
  const { db } = bench.database
  const next = seeded(9)
  const fleet = randomFleet(next, { cards: 40, taps: 900, prefix: 'pgkill' })
  const opening = D('1000.00')
  await fundFleet(db, fleet, opening.toFixed(2))

  const exited = (child: ChildProcess): Promise<void> =>
    new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())))
  // Quiet: every killed connection is logged, as it should be, but not wanted in the test's output.
  const ledger = bench.spawnLedger({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'fatal' })
  t.teardown(() => void ledger.kill('SIGKILL'))
  const killLedgerConnections = async (): Promise<number> => {
    const rows = await sql<{ pid: number }>`
      select pg_terminate_backend(pid) as ok, pid from pg_stat_activity
      where datname = current_database() and application_name = 'ledger' and pid <> pg_backend_pid()`.execute(db)
    return rows.rows.length
  }
  const waves = 6
  const size = Math.ceil(fleet.taps.length / waves)
  await bench.produce(fleet.taps.slice(0, size))
  // Once the ledger is settling, kill every connection it holds, several times a wave, mid-batch or idle.
  const deadline = Date.now() + 60_000
  while (!(await db.selectFrom('kafka_offsets').select('partition').executeTakeFirst())) {
    if (Date.now() > deadline) throw new Error('the ledger settled nothing within 60 s')
    await new Promise((r) => setTimeout(r, 100))
  }
  let killed = 0
  for (let w = 1; w < waves || killed < 10; w++) {
    if (w < waves) await bench.produce(fleet.taps.slice(w * size, (w + 1) * size))
    else if (Date.now() > deadline) break
    for (let k = 0; k < 4; k++) {
      await new Promise((r) => setTimeout(r, 100 + Math.floor(next() * 300)))
      killed += await killLedgerConnections()
    }
  }
  await bench.waitSettled(120_000)
  t.equal(ledger.exitCode, null, 'the ledger kept running')
  ledger.kill('SIGTERM')
  await exited(ledger)
  t.ok(killed >= 10, `${killed} ledger connections terminated`)
  const rejected = await db.selectFrom('rejected_taps').select(['code', 'detail']).execute()
  t.same(rejected, [], 'nothing dead-lettered')
  await assertSettledExactly(t, bench, fleet, opening)
})
