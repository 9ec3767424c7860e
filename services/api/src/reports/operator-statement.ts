/**
 * An operator's statement: its revenue account (accounts kind
 * operator_revenue) over a month, straight from the ledger's transfers, so it
 * ties to the account to the kopiyka: the opening balance (every transfer
 * posted before the month's first service day starts), the month's
 * movements by line, and the closing balance (opening plus the lines).
 * Transfers belong to the month they were POSTED in (created_at), not to the
 * rides' service days: a late tap re-rating an October ride in November is a
 * November line.
 */
import { moneyFromDb } from '@fare/db'
import { type Decimal, ZERO } from '@fare/money'
import { sql } from 'kysely'
import { ReportOperatorRequired } from '../errors.ts'
import type { ReportContext } from './context.ts'
import type { Report, ReportRow } from './respond.ts'

/** The statement's lines, in order; each transfer falls in exactly one (the CASE below). */
export const STATEMENT_LINES = [
  'riderFares',
  'lateTapAdjustments',
  'revenueSplitIn',
  'revenueSplitOut',
  'concessionCompensation',
  'manualAdjustments',
  'other',
] as const

/** Which line a transfer of the account belongs to; 'opening' for those posted before the range. */
function lineOf(accountId: string, fromInstant: Date) {
  return sql<string>`case
    when t.created_at < ${fromInstant} then 'opening'
    when t.kind = 'fare' then 'riderFares'
    when t.reason = 'revenue_split' and t.credit_account_id = ${accountId}::bigint then 'revenueSplitIn'
    when t.reason = 'revenue_split' then 'revenueSplitOut'
    when t.kind = 'fare_adjustment' then 'lateTapAdjustments'
    when t.kind = 'concession' then 'concessionCompensation'
    when t.kind = 'manual_adjustment' then 'manualAdjustments'
    else 'other' end`
}

interface LineSum {
  readonly transfers: number
  readonly amount: Decimal
}

/** The account's transfers up to the range's end, summed by line (signed: + credited to the account), in one pass. */
async function lineSums(ctx: ReportContext, accountId: string): Promise<Map<string, LineSum>> {
  const line = lineOf(accountId, ctx.fromInstant)
  const rows = await ctx.db
    .selectFrom('transfers as t')
    .where((eb) => eb.or([eb('t.credit_account_id', '=', accountId), eb('t.debit_account_id', '=', accountId)]))
    .where('t.created_at', '<', ctx.toInstant)
    .select([
      line.as('line'),
      sql<string>`count(*)`.as('transfers'),
      sql<string>`sum(case when t.credit_account_id = ${accountId}::bigint then t.amount else -t.amount end)`.as('amount'),
    ])
    // By position: the line expression carries parameters, and a repeated one would be another expression to Postgres.
    .groupBy(sql`1`)
    .execute()
  return new Map(rows.map((r) => [r.line, { transfers: Number(r.transfers), amount: moneyFromDb(r.amount) }]))
}

export async function operatorStatementReport(ctx: ReportContext, month: string | undefined): Promise<Report> {
  const operator = ctx.operator
  if (operator === undefined) throw new ReportOperatorRequired('the operator statement')
  const account = await ctx.db
    .selectFrom('accounts')
    .select('id')
    .where('kind', '=', 'operator_revenue')
    .where('operator_id', '=', operator)
    .where('currency', '=', ctx.currency)
    .executeTakeFirst()
  // No revenue account (no ride settled for the operator yet, or no such operator, as the other reports answer
  // an operator without rows): a statement of zeros.
  const sums = account ? await lineSums(ctx, account.id) : new Map<string, LineSum>()
  const opening = sums.get('opening')?.amount ?? ZERO
  let movements = ZERO
  const lines: ReportRow[] = STATEMENT_LINES.map((line) => {
    const sum = sums.get(line) ?? { transfers: 0, amount: ZERO }
    movements = movements.plus(sum.amount)
    return { line, transfers: sum.transfers, amount: sum.amount }
  })
  const closing = opening.plus(movements)
  return {
    name: 'operator-statement',
    range: ctx.range,
    timeZone: ctx.timeZone,
    operator,
    currency: ctx.currency,
    meta: {
      month: month ?? null,
      accountId: account?.id ?? null,
      postedFrom: ctx.fromInstant.toISOString(),
      postedTo: ctx.toInstant.toISOString(),
    },
    columns: ['line', 'transfers', 'amount'],
    rows: [{ line: 'openingBalance', transfers: null, amount: opening }, ...lines, { line: 'closingBalance', transfers: null, amount: closing }],
    totals: { openingBalance: opening, movements, closingBalance: closing },
  }
}
