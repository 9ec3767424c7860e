/**
 * An operator's statement: its revenue account (accounts kind
 * operator_revenue) over a month, from the ledger's transfers and the
 * account's balance, so it ties to the account to the kopiyka: the opening
 * balance (what the account held when the month's first service day
 * started), the month's movements by line, and the closing balance (opening
 * plus the lines).
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

/** Which line a transfer of the account belongs to; 'after' for those posted after the range. */
function lineOf(toInstant: Date) {
  return sql<string>`case
    when t.created_at >= ${toInstant} then 'after'
    when t.kind = 'fare' then 'riderFares'
    when t.reason = 'revenue_split' and t.credited then 'revenueSplitIn'
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

interface Sums {
  /** The account's balance now (the ledger keeps it with every transfer). */
  readonly balance: Decimal
  /** By line, and 'after': everything posted since the range's end. */
  readonly lines: Map<string, LineSum>
}

/**
 * The account's transfers posted since the range's start, summed by line
 * (signed: + credited to the account), and its balance, in one statement (one
 * snapshot: the balance moves in the transactions that post transfers). Only
 * the period since the month's start is read (the (account, created_at)
 * indexes), not the account's whole history: the balances at the range's ends
 * are worked back from the balance now. The credited and the debited side are
 * read apart, each from its own index alone (the indexes carry the columns
 * summed), where one `credit = x or debit = x` would visit the table's pages.
 * A transfer never has one account on both sides (a check constraint).
 */
async function sumsSince(ctx: ReportContext, accountId: string): Promise<Sums> {
  const line = lineOf(ctx.toInstant)
  const side = (credited: boolean) => sql`
    select created_at, kind, reason, amount, ${sql.lit(credited)} as credited from transfers
    where ${sql.ref(credited ? 'credit_account_id' : 'debit_account_id')} = ${accountId}::bigint and created_at >= ${ctx.fromInstant}`
  // Raw sql: the sums grouped by a parameterised CASE (grouped by position) and the balance, as one statement.
  const rows = await sql<{ line: string; transfers: string; amount: string }>`
    select ${line} as line, count(*)::text as transfers, sum(case when t.credited then t.amount else -t.amount end)::text as amount
    from (${side(true)} union all ${side(false)}) t
    group by 1
    union all
    select 'balance', '0', balance::text from accounts where id = ${accountId}::bigint`.execute(ctx.db)
  const lines = new Map(rows.rows.map((r) => [r.line, { transfers: Number(r.transfers), amount: moneyFromDb(r.amount) }]))
  return { balance: lines.get('balance')?.amount ?? ZERO, lines }
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
  const sums = account ? await sumsSince(ctx, account.id) : { balance: ZERO, lines: new Map<string, LineSum>() }
  let movements = ZERO
  const lines: ReportRow[] = STATEMENT_LINES.map((line) => {
    const sum = sums.lines.get(line) ?? { transfers: 0, amount: ZERO }
    movements = movements.plus(sum.amount)
    return { line, transfers: sum.transfers, amount: sum.amount }
  })
  // closing = what the account holds now less what was posted after the range; opening = closing less the range's lines.
  const closing = sums.balance.minus(sums.lines.get('after')?.amount ?? ZERO)
  const opening = closing.minus(movements)
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
