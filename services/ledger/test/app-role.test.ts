/**
 * The application role `fare_app` (migration 2026-11-28T02-00) is what the
 * services connect as: it may read and append, but transfers and taps are
 * append-only for it: no UPDATE, DELETE or TRUNCATE, whatever the code does.
 */

import { ensureOperator, openCard, topUp } from '@fare/bookkeeping'
import { createDb } from '@fare/db'
import { createTestDatabase } from '@fare/db/testing'
import { parseAmount } from '@fare/money'
import { sql } from 'kysely'
import t from 'tap'

const database = await createTestDatabase()
t.teardown(() => database.drop())
const url = new URL(database.url)
url.username = 'fare_app'
const app = createDb(url.toString(), { maxConnections: 1 })
t.teardown(() => app.destroy())

t.test('fare_app may post money but never edit or delete a transfer', async (t) => {
  await ensureOperator(app, 'op', 'Operator')
  const account = await app.transaction().execute((trx) => openCard(trx, { cardToken: 'c-role', currency: 'UAH' }))
  await topUp(app, { accountId: account, amount: parseAmount('5.00'), idempotencyKey: 'role-1' })
  const n = await sql<{ n: string }>`select count(*)::text as n from transfers`.execute(app)
  t.equal(n.rows[0]?.n, '1', 'the role can insert transfers and move balances')
  await t.rejects(sql`update transfers set amount = 1`.execute(app), { code: '42501' }, 'UPDATE refused')
  await t.rejects(sql`delete from transfers`.execute(app), { code: '42501' }, 'DELETE refused')
  await t.rejects(sql`truncate transfers`.execute(app), { code: '42501' }, 'TRUNCATE refused')
  await t.rejects(sql`delete from taps`.execute(app), { code: '42501' }, 'taps are append-only too')
  await t.rejects(sql`update transfers set amount = 1`.execute(database.db), { code: 'P0001' }, 'and even the owner meets the immutability trigger')
})
