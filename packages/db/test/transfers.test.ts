/** The database itself refuses what would break the ledger: edits, zero amounts, self-transfers. */
import t from 'tap'
import { sql } from 'kysely'
import { createTestDatabase } from '../src/testing.ts'

t.test('transfers are immutable and checked by the database', async (t) => {
  const { db, drop } = await createTestDatabase()
  t.teardown(drop)
  const [a, b] = await db
    .insertInto('accounts')
    .values([
      { kind: 'top_up_clearing', currency: 'UAH' },
      { kind: 'rider', currency: 'UAH' },
    ])
    .returning('id')
    .execute()
  if (!a || !b) throw new Error('accounts not created')
  const transfer = { debit_account_id: a.id, credit_account_id: b.id, currency: 'UAH', kind: 'top_up' as const }
  await db.insertInto('transfers').values({ ...transfer, amount: '10.00' }).execute()

  await t.rejects(db.insertInto('transfers').values({ ...transfer, amount: '0.00' }).execute(), /check constraint/)
  await t.rejects(db.insertInto('transfers').values({ ...transfer, amount: '-1.00' }).execute(), /check constraint/)
  await t.rejects(
    db.insertInto('transfers').values({ ...transfer, credit_account_id: a.id, amount: '1.00' }).execute(),
    /transfers_distinct_accounts/,
  )
  await t.rejects(sql`update transfers set amount = 99`.execute(db), /immutable/)
  await t.rejects(sql`delete from transfers`.execute(db), /immutable/)
  const rows = await db.selectFrom('transfers').select('amount').execute()
  t.same(rows, [{ amount: '10.00' }], 'the one valid transfer is still there, unchanged')
})
