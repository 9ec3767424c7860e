/** The database itself refuses what would break the ledger: edits, zero amounts, self-transfers. */

import { sql } from 'kysely'
import t from 'tap'
import { createDb, type Db } from '../src/connect.ts'
import { createTestDatabase } from '../src/testing.ts'

/** A top-up clearing account and a rider's, the two ends of a top-up. */
async function clearingAndRider(db: Db): Promise<[{ id: string }, { id: string }]> {
  const rows = await db
    .insertInto('accounts')
    .values([
      { kind: 'top_up_clearing', currency: 'UAH' },
      { kind: 'rider', currency: 'UAH' },
    ])
    .returning('id')
    .execute()
  const [a, b] = rows
  if (!a || !b) throw new Error('accounts not created')
  return [a, b]
}

t.test('transfers are immutable and checked by the database', async (t) => {
  const { db, drop } = await createTestDatabase()
  t.teardown(drop)
  const [a, b] = await clearingAndRider(db)
  const transfer = { debit_account_id: a.id, credit_account_id: b.id, currency: 'UAH', kind: 'top_up' as const }
  await db
    .insertInto('transfers')
    .values({ ...transfer, amount: '10.00' })
    .execute()

  await t.rejects(
    db
      .insertInto('transfers')
      .values({ ...transfer, amount: '0.00' })
      .execute(),
    /check constraint/,
  )
  await t.rejects(
    db
      .insertInto('transfers')
      .values({ ...transfer, amount: '-1.00' })
      .execute(),
    /check constraint/,
  )
  await t.rejects(
    db
      .insertInto('transfers')
      .values({ ...transfer, credit_account_id: a.id, amount: '1.00' })
      .execute(),
    /transfers_distinct_accounts/,
  )
  await t.rejects(sql`update transfers set amount = 99`.execute(db), /immutable/)
  await t.rejects(sql`delete from transfers`.execute(db), /immutable/)
  const rows = await db.selectFrom('transfers').select('amount').execute()
  t.same(rows, [{ amount: '10.00' }], 'the one valid transfer is still there, unchanged')
})

t.test('an idle connection terminated under the pool does not crash the process', async (t) => {
  const { db, url, drop } = await createTestDatabase()
  t.teardown(drop)
  const errors: Error[] = []
  const watched = createDb(url, { maxConnections: 1, onIdleConnectionError: (err) => errors.push(err) })
  t.teardown(() => watched.destroy())
  await sql`select 1`.execute(watched) // one idle connection now sits in the pool
  await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`.execute(db)
  for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
  t.equal(errors.length, 1, 'the loss was reported, not thrown')
  const again = await sql<{ n: number }>`select 1 as n`.execute(watched)
  t.same(again.rows, [{ n: 1 }], 'the pool reconnects on the next query')
})

t.test('a transfer naming an account that does not exist is refused, and accounts are never deleted', async (t) => {
  const { db, drop } = await createTestDatabase()
  t.teardown(drop)
  const [a, b] = await clearingAndRider(db)
  const valid = { debit_account_id: a.id, credit_account_id: b.id, currency: 'UAH', kind: 'top_up' as const, amount: '1.00' }
  const missing = String(BigInt(b.id) + 1000n)
  await t.rejects(
    db
      .insertInto('transfers')
      .values({ ...valid, credit_account_id: missing })
      .execute(),
    { code: '23503' },
    'unknown credit account',
  )
  await t.rejects(
    db
      .insertInto('transfers')
      .values({ ...valid, debit_account_id: missing })
      .execute(),
    { code: '23503' },
    'unknown debit account',
  )
  // One bad row in a many-row statement refuses the whole statement.
  await t.rejects(
    db
      .insertInto('transfers')
      .values([valid, { ...valid, debit_account_id: missing }])
      .execute(),
    { code: '23503' },
  )
  t.same(await db.selectFrom('transfers').select('id').execute(), [], 'nothing was written')

  await db.insertInto('transfers').values(valid).execute()
  await t.rejects(sql`delete from accounts where id = ${b.id}`.execute(db), /accounts are never deleted/)
  await t.rejects(sql`truncate accounts cascade`.execute(db), /accounts are never deleted/)
  const appRole = await sql<{ allowed: boolean }>`select has_table_privilege('fare_app', 'accounts', 'delete') as allowed`.execute(db)
  t.same(appRole.rows, [{ allowed: false }], 'the application role may not delete accounts')
  t.equal((await db.selectFrom('accounts').select('id').execute()).length, 2, 'both accounts are still there')
})
