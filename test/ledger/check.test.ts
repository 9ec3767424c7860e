/**
 * The invariant checker catches what it promises to: a ledger that holds is
 * clean, and each kind of damage done behind the ledger's back (as a
 * superuser could) is reported under its invariant; `pnpm ledger:check`
 * exits 1 then.
 */

import { spawnSync } from 'node:child_process'
import { postTransfers } from '@fare/bookkeeping'
import { createTestDatabase } from '@fare/db/testing'
import { checkInvariants } from '@fare/ledger'
import { parseAmount } from '@fare/money'
import { sql } from 'kysely'
import t from 'tap'
import { ledgerCheckCommand } from '../support/entries.ts'

t.test('damage behind the ledger is reported under its invariant', async (t) => {
  const database = await createTestDatabase()
  t.teardown(database.drop)
  const { db } = database
  const [clearing, rider] = (
    await db
      .insertInto('accounts')
      .values([
        { kind: 'top_up_clearing', currency: 'UAH' },
        { kind: 'rider', currency: 'UAH' },
      ])
      .returning('id')
      .execute()
  ).map((r) => r.id) as [string, string]
  await db
    .transaction()
    .execute((trx) => postTransfers(trx, [{ debitAccountId: clearing, creditAccountId: rider, amount: parseAmount('50.00'), currency: 'UAH', kind: 'top_up' }]))
  t.same(await checkInvariants(db, { rerate: false }), [], 'a ledger that holds is clean')

  const invariants = async (): Promise<string[]> => [...new Set((await checkInvariants(db, { rerate: false })).map((v) => v.invariant))].sort()

  await sql`update accounts set balance = balance + 1 where id = ${rider}`.execute(db)
  t.same(await invariants(), ['cached balance equals sum of transfers', 'transfers balance'], 'a cached balance moved without a transfer')
  await sql`update accounts set balance = balance - 1 where id = ${rider}`.execute(db)

  await sql`update transfer_hours set amount = amount + 1`.execute(db)
  t.same(await invariants(), ['the hourly rollup of transfers equals the transfers'], "the reconciliation's hourly rollup moved without a transfer")
  await sql`update transfer_hours set amount = amount - 1`.execute(db)

  await sql`alter table transfers disable trigger transfers_accounts_exist`.execute(db)
  await sql`insert into transfers (debit_account_id, credit_account_id, amount, currency, kind)
    values (${clearing}, ${String(BigInt(rider) + 500n)}, 1, 'UAH', 'top_up')`.execute(db)
  await sql`alter table transfers enable trigger transfers_accounts_exist`.execute(db)
  t.ok((await invariants()).includes('transfers well formed'), 'a transfer to an account that does not exist')

  const cli = spawnSync(process.execPath, ledgerCheckCommand(), {
    env: { ...process.env, DATABASE_URL: database.url, LEDGER_CHECK_RERATE: '0' },
    encoding: 'utf8',
  })
  t.equal(cli.status, 1, 'pnpm ledger:check exits 1')
  t.match(cli.stdout, /VIOLATION \[transfers well formed\]/)
})

t.test('a refund, adjustment or balance move without its audit row is reported', async (t) => {
  const database = await createTestDatabase()
  t.teardown(database.drop)
  const { db } = database
  const [refunds, rider] = (
    await db
      .insertInto('accounts')
      .values([
        { kind: 'refunds', currency: 'UAH' },
        { kind: 'rider', currency: 'UAH' },
      ])
      .returning('id')
      .execute()
  ).map((r) => r.id) as [string, string]
  const audited = crypto.randomUUID()
  await db.transaction().execute(async (trx) => {
    await postTransfers(trx, [
      { id: audited, debitAccountId: refunds, creditAccountId: rider, amount: parseAmount('5.00'), currency: 'UAH', kind: 'manual_adjustment' },
    ])
    await trx
      .insertInto('admin_actions')
      .values({ actor_subject: 'admin-1', actor_role: 'admin', action: 'account.adjustment', target: rider, reason: 'test', transfer_id: audited })
      .execute()
  })
  t.same(await checkInvariants(db, { rerate: false }), [], 'an audited adjustment is clean')

  // Posted behind the api's back: no administrator is on record for it.
  const unaudited = crypto.randomUUID()
  await db
    .transaction()
    .execute((trx) =>
      postTransfers(trx, [{ id: unaudited, debitAccountId: rider, creditAccountId: refunds, amount: parseAmount('1.00'), currency: 'UAH', kind: 'refund' }]),
    )
  t.same(await checkInvariants(db, { rerate: false }), [
    { invariant: 'refunds and adjustments have their audit row', detail: `refund transfer ${unaudited} has no admin_actions row` },
  ])
})
