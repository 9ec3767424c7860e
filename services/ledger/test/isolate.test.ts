/**
 * Whose fault a failure is, told from real errors of the real Postgres: a
 * record's (data and integrity errors, an engine throw: split and
 * dead-letter) or nobody's (connection lost, server gone, lock timeouts:
 * retry the batch whole, never dead-letter).
 */

import { createDb } from '@fare/db'
import { createTestDatabase } from '@fare/db/testing'
import { sql } from 'kysely'
import t from 'tap'
import { backoffMs, describeError, isTransient, PartitionRevokedError } from '../src/isolate.ts'

const database = await createTestDatabase()
t.teardown(database.drop)
const { db } = database
const failure = async (run: () => Promise<unknown>): Promise<unknown> => {
  try {
    await run()
  } catch (err) {
    return err
  }
  throw new Error('expected a failure')
}

t.test("a record's fault: data exceptions, integrity violations, an engine throw", async (t) => {
  const cases: [string, () => Promise<unknown>][] = [
    ['division by zero (22012)', () => sql`select 1 / 0`.execute(db)],
    ['a time offset Postgres refuses (22009)', () => sql`select '2026-03-03T23:20:00+16:00'::timestamptz`.execute(db)],
    ['a NUL in text (22021)', () => sql`select ${'a\u0000b'}::text`.execute(db)],
    [
      'a check constraint (23514)',
      async () => {
        await sql`create temporary table if not exists c (x int check (x > 0))`.execute(db)
        await sql`insert into c values (-1)`.execute(db)
      },
    ],
  ]
  for (const [what, run] of cases) {
    const err = await failure(run)
    t.notOk(isTransient(err), `${what}: ${describeError(err)}`)
  }
  t.notOk(isTransient(new RangeError('Invalid time value')), 'an engine throw')
})

t.test("nobody's fault: the connection terminated, the server unreachable, a lock timeout", async (t) => {
  const victim = createDb(database.url, { maxConnections: 1, applicationName: 'isolate-victim' })
  t.teardown(() => victim.destroy())
  const terminated = await failure(() => sql`select pg_terminate_backend(pg_backend_pid())`.execute(victim))
  t.ok(isTransient(terminated), `terminated: ${describeError(terminated)}`)

  const nowhere = createDb('postgres://postgres@127.0.0.1:1/none', { maxConnections: 1 })
  t.teardown(() => nowhere.destroy())
  const refused = await failure(() => sql`select 1`.execute(nowhere))
  t.ok(isTransient(refused), `unreachable: ${describeError(refused)}`)

  await sql`create table if not exists locked (id int primary key)`.execute(db)
  await sql`insert into locked values (1) on conflict do nothing`.execute(db)
  const lockTimeout = await db.connection().execute(async (holder) => {
    await sql`begin`.execute(holder)
    await sql`select * from locked for update`.execute(holder)
    try {
      return await failure(() =>
        db.transaction().execute(async (trx) => {
          await sql`set local lock_timeout = '50ms'`.execute(trx)
          await sql`select * from locked for update`.execute(trx)
        }),
      )
    } finally {
      await sql`rollback`.execute(holder)
    }
  })
  t.ok(isTransient(lockTimeout), `lock timeout: ${describeError(lockTimeout)}`)
  t.ok(isTransient(new PartitionRevokedError('revoked')), 'a revoked partition is never a record to dead-letter')
})

t.test('the pause between retries grows, and is bounded', async (t) => {
  t.same(
    [1, 2, 3, 4, 8, 30, 1000].map((n) => backoffMs(n)),
    [250, 500, 1000, 2000, 30_000, 30_000, 30_000],
  )
})
