/**
 * postTransfers under concurrency: many transactions posting at once between
 * riders and shared accounts (as the ledger's partitions do) never deadlock,
 * and the cached balances end equal to the sums of the transfers.
 */

import { createDb, moneyFromDb } from '@fare/db'
import { createTestDatabase } from '@fare/db/testing'
import { amountFromUnits, parseAmount } from '@fare/money'
import { sql } from 'kysely'
import t from 'tap'
import { seeded } from '../../../test/support/random.ts'
import { ensureOperator, postTransfers, revenueAccountId, systemAccountId, type TransferToPost } from '../src/index.ts'

t.test('concurrent batches over shared accounts: no deadlock, balances equal sums', async (t) => {
  const database = await createTestDatabase()
  t.teardown(database.drop)
  const { db } = database
  const riders = (
    await db
      .insertInto('accounts')
      .values(Array.from({ length: 40 }, () => ({ kind: 'rider' as const, currency: 'UAH' })))
      .returning('id')
      .execute()
  ).map((r) => r.id)
  const shared: string[] = []
  for (const op of ['op-a', 'op-b']) {
    await ensureOperator(db, op, op)
    shared.push(await revenueAccountId(db, op, 'UAH'))
  }
  shared.push(await systemAccountId(db, 'concession', 'UAH'))
  // Accounts created after the shared ones too, so riders' ids are on both sides of them.
  riders.push(
    ...(
      await db
        .insertInto('accounts')
        .values(Array.from({ length: 40 }, () => ({ kind: 'rider' as const, currency: 'UAH' })))
        .returning('id')
        .execute()
    ).map((r) => r.id),
  )

  const pool = createDb(database.url, { maxConnections: 12 })
  t.teardown(() => pool.destroy())
  const next = seeded(7)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T
  const batches = Array.from({ length: 24 }, () =>
    Array.from({ length: 30 }, (): TransferToPost => {
      const rider = pick(riders)
      const other = next() < 0.2 ? pick(riders.filter((r) => r !== rider)) : pick(shared)
      const toRider = next() < 0.3
      return {
        debitAccountId: toRider ? other : rider,
        creditAccountId: toRider ? rider : other,
        amount: amountFromUnits(1 + Math.floor(next() * 2000), 2),
        currency: 'UAH',
        kind: 'fare',
      }
    }),
  )
  await Promise.all(
    batches.map((transfers) =>
      pool.transaction().execute(async (trx) => {
        await postTransfers(trx, transfers)
        await sql`select pg_sleep(0.02)`.execute(trx) // hold the locks a while, as a batch finishing its work would
      }),
    ),
  )
  const mismatched = await sql<{ id: string }>`
    select a.id from accounts a
    left join (select account_id, sum(delta) as total from (
      select credit_account_id as account_id, amount as delta from transfers
      union all select debit_account_id, -amount from transfers) m group by account_id) s on s.account_id = a.id
    where a.balance <> coalesce(s.total, 0)`.execute(db)
  t.same(mismatched.rows, [], 'every cached balance equals the sum of its transfers')
  const count = await db
    .selectFrom('transfers')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow()
  t.equal(Number(count.n), 24 * 30, 'all 720 transfers posted')
  const total = await sql<{ sum: string }>`select sum(balance)::text as sum from accounts`.execute(db)
  t.equal(moneyFromDb(total.rows[0]?.sum ?? 'NaN').toFixed(2), '0.00', 'balances sum to zero')
})

t.test('a transfer to an unknown account refuses the whole call', async (t) => {
  const database = await createTestDatabase()
  t.teardown(database.drop)
  const { db } = database
  const [a, b] = (
    await db
      .insertInto('accounts')
      .values([
        { kind: 'rider', currency: 'UAH' },
        { kind: 'rider', currency: 'UAH' },
      ])
      .returning('id')
      .execute()
  ).map((r) => r.id) as [string, string]
  const good: TransferToPost = { debitAccountId: a, creditAccountId: b, amount: parseAmount('5.00'), currency: 'UAH', kind: 'fare' }
  await t.rejects(
    db.transaction().execute((trx) => postTransfers(trx, [good, { ...good, creditAccountId: String(BigInt(b) + 99n) }])),
    { code: '23503' },
  )
  t.same(await db.selectFrom('transfers').select('id').execute(), [], 'no transfer written')
  t.same(
    (await db.selectFrom('accounts').select('balance').orderBy('id').execute()).map((r) => r.balance),
    ['0.00', '0.00'],
    'no balance moved',
  )
})
