/**
 * The reconciliation report reads money moved by whole UTC hours from
 * `transfer_hours` and the part-hours at its range's ends from `transfers`:
 * given transfers on either side of each end, inside the ends' hours, when
 * the range's instants are not on the hour (a zone off UTC by a half hour,
 * or a day that starts at minute 30), then every transfer counts once, on
 * the right side of the range's end, as it would read straight from
 * `transfers`.
 */
import { createTestDatabase } from '@fare/db/testing'
import { type Decimal, parseAmount } from '@fare/money'
import { sql } from 'kysely'
import t from 'tap'
import type { ReportContext } from '../src/reports/context.ts'
import { parseReportRange } from '../src/reports/range.ts'
import { reconciliationReport } from '../src/reports/reconciliation.ts'

const D = parseAmount

t.test('part-hours at both ends of the range come from transfers, whole hours from the rollup', async (t) => {
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
  // Top-ups at these instants; the range is [09:30, 11:50) UTC on 2026-11-10.
  const posted: [string, string][] = [
    ['2026-11-10T09:10:00Z', '1.00'], // before the range, in its first hour
    ['2026-11-10T09:50:00Z', '2.00'], // in the range, in its first (part-)hour
    ['2026-11-10T10:20:00Z', '4.00'], // in the range, a whole hour
    ['2026-11-10T11:45:00Z', '8.00'], // in the range, in its last (part-)hour
    ['2026-11-10T11:55:00Z', '16.00'], // after the range, in its last hour
    ['2026-11-10T13:05:00Z', '32.00'], // after the range, a whole hour
  ]
  for (const [at, amount] of posted)
    await sql`insert into transfers (debit_account_id, credit_account_id, amount, currency, kind, created_at)
              values (${clearing}, ${rider}, ${amount}, 'UAH', 'top_up', ${at})`.execute(db)
  await sql`update accounts set balance = case when id = ${rider} then 63.00 else -63.00 end`.execute(db)
  t.same((await db.selectFrom('transfer_hours').select('hour').execute()).length, 4, 'the trigger kept 4 hours of top-ups')

  const ctx: ReportContext = {
    db,
    range: parseReportRange('2026-11-10', '2026-11-11'),
    operator: undefined,
    timeZone: 'UTC',
    dayStartSecond: 0,
    currency: 'UAH',
    defaultRiderCategoryIds: [],
    fromInstant: new Date('2026-11-10T09:30:00Z'),
    toInstant: new Date('2026-11-10T11:50:00Z'),
  }
  const summary = await reconciliationReport(ctx, 'summary')
  const topUps = summary.rows.find((r) => r.figure === 'top_ups') ?? {}
  t.equal(topUps.count, 3, 'three top-ups in the range')
  t.ok((topUps.amount as Decimal).equals(D('14.00')), `2 + 4 + 8 in the range: ${topUps.amount}`)

  const accounts = await reconciliationReport(ctx, 'accounts')
  const riders = accounts.rows.find((r) => r.account_kind === 'rider') ?? {}
  t.ok((riders.opening as Decimal).equals(D('1.00')), `the riders' opening balance: the 1.00 before the range (${riders.opening})`)
  t.ok((riders.credits as Decimal).equals(D('14.00')), 'credited 14.00 in the range')
  t.ok((riders.closing as Decimal).equals(D('15.00')), `closing: 15.00, the 16.00 and 32.00 after the range taken back (${riders.closing})`)
  t.equal(accounts.meta?.balanced, true, 'the trial balance balances')
})
