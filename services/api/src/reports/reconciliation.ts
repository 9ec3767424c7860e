/**
 * Reconciliation: did every tap the ledger received end up somewhere, and does
 * the money add up? For the range's instants on the ledger's clock (the time
 * of the transaction that recorded a tap, rejected a record or posted a
 * transfer, so a tap and its fare fall in the same range): taps received =
 * settled + rejected (every rejected record was also dead-lettered), money
 * moved by kind, the ledger's trial balance, and each device's sequence gaps
 * and last sign of life. Warnings name what needs a look.
 */
import { moneyFromDb } from '@fare/db'
import { type Decimal, ZERO } from '@fare/money'
import { sql } from 'kysely'
import type { ReportContext } from './context.ts'
import { inRange, inSnapshot, isoOrNull, jsonTable, operatorIs, type ReportWarning, rejectedInScope, type Snapshot } from './ledger-clock.ts'
import type { Report, ReportRow } from './respond.ts'

export const RECONCILIATION_SECTIONS = ['summary', 'codes', 'accounts', 'devices'] as const
export type ReconciliationSection = (typeof RECONCILIATION_SECTIONS)[number]

const COLUMNS: Readonly<Record<ReconciliationSection, readonly string[]>> = {
  summary: ['figure', 'count', 'amount'],
  codes: ['code', 'rejected'],
  accounts: ['account_kind', 'operator_id', 'opening', 'debits', 'credits', 'closing'],
  devices: [
    'device_id',
    'operator_id',
    'status',
    'taps',
    'first_seq',
    'last_seq',
    'missing',
    'missing_ranges',
    'last_tap_received_at',
    'last_token_at',
    'last_seen',
  ],
}

/** How many missing ranges a device's row names (the count covers them all). */
const MISSING_RANGES_SHOWN = 5

async function tapCounts(trx: Snapshot, ctx: ReportContext): Promise<{ settled: number; rejected: number }> {
  const row = await sql<{ settled: string; rejected: string }>`
    select (select count(*) from taps t where ${inRange(ctx, sql`t.recorded_at`)} and ${operatorIs(ctx, sql`t.operator_id`)}) as settled,
           (select count(*) from rejected_taps r where ${inRange(ctx, sql`r.rejected_at`)} and ${rejectedInScope(ctx)}) as rejected`.execute(trx)
  const counts = row.rows[0]
  return { settled: Number(counts?.settled ?? 0), rejected: Number(counts?.rejected ?? 0) }
}

async function rejectedByCode(trx: Snapshot, ctx: ReportContext): Promise<ReportRow[]> {
  const rows = await sql<{ code: string; n: string }>`
    select r.code, count(*) as n from rejected_taps r
    where ${inRange(ctx, sql`r.rejected_at`)} and ${rejectedInScope(ctx)}
    group by r.code order by r.code`.execute(trx)
  return rows.rows.map((r) => ({ code: r.code, rejected: Number(r.n) }))
}

interface MoneyFigure {
  readonly figure: string
  readonly count: string
  readonly amount: string | null
}

/**
 * Money moved in the range, by what it was for. Non-rider accounts are few:
 * a transfer's side that is none of them is a rider's account. Charges are
 * what riders paid operators (fare and fare_adjustment, net of money given
 * back); revenue splits and concessions are net to operators; top-ups,
 * refunds, manual adjustments (net to riders) and balance moves are the
 * city's, not an operator's.
 */
async function moneyFigures(trx: Snapshot, ctx: ReportContext): Promise<ReportRow[]> {
  const op = ctx.operator ?? null
  const rows = await sql<MoneyFigure>`
    with acc as (select id, kind, operator_id from accounts where kind <> 'rider'),
    t as (
      select t.kind, t.amount, d.kind as dk, d.operator_id as dop, c.kind as ck, c.operator_id as cop
      from transfers t left join acc d on d.id = t.debit_account_id left join acc c on c.id = t.credit_account_id
      where ${inRange(ctx, sql`t.created_at`)} and t.currency = ${ctx.currency}
    ),
    figures as (
      select 'charges' as figure, count(*) as count, sum(case when dk is null then amount else -amount end) as amount from t
      where kind in ('fare', 'fare_adjustment') and (dk is null or ck is null) and (${op}::text is null or coalesce(dop, cop) = ${op})
      union all
      select 'revenue_splits', count(*), sum(case when ${op}::text is null then amount when cop = ${op} then amount else -amount end) from t
      where kind = 'fare_adjustment' and dk = 'operator_revenue' and ck = 'operator_revenue' and (${op}::text is null or ${op} in (dop, cop))
      union all
      select 'concessions', count(*), sum(case when ck = 'operator_revenue' then amount else -amount end) from t
      where kind = 'concession' and (${op}::text is null or ${op} in (dop, cop))
      union all
      select 'top_ups', count(*), sum(amount) from t where kind = 'top_up' and ${op}::text is null
      union all
      select 'refunds', count(*), sum(amount) from t where kind = 'refund' and ${op}::text is null
      union all
      select 'manual_adjustments', count(*), sum(case when ck is null then amount else -amount end) from t
      where kind = 'manual_adjustment' and ${op}::text is null
      union all
      select 'balance_moves', count(*), sum(amount) from t where kind = 'balance_move' and ${op}::text is null
    )
    select figure, count::text, amount::text from figures`.execute(trx)
  const shown = ctx.operator === undefined ? rows.rows : rows.rows.filter((r) => ['charges', 'revenue_splits', 'concessions'].includes(r.figure))
  return shown.map((r) => ({ figure: r.figure, count: Number(r.count), amount: moneyFromDb(r.amount ?? '0') }))
}

interface AccountLine {
  readonly account_kind: string
  readonly operator_id: string | null
  readonly opening: string
  readonly debits: string
  readonly credits: string
  readonly closing: string
}

/**
 * The trial balance, per account kind (and operator, for revenue accounts):
 * balances (credits minus debits) at the range's start and end, and the
 * debits and credits between. Both balances come from the accounts' current
 * balances less what moved since, so only transfers from the range's start
 * on are read, never the whole history.
 */
async function trialBalance(trx: Snapshot, ctx: ReportContext): Promise<ReportRow[]> {
  const rows = await sql<AccountLine>`
    with acc as (select id, kind, operator_id from accounts where kind <> 'rider'),
    t as (
      select debit_account_id, credit_account_id, amount, created_at < ${ctx.toInstant} as in_range
      from transfers where created_at >= ${ctx.fromInstant} and currency = ${ctx.currency}
    ),
    sides as (
      select coalesce(a.kind, 'rider') as kind, coalesce(a.operator_id, '') as operator_id, in_range, amount as debit, 0::numeric as credit
      from t left join acc a on a.id = t.debit_account_id
      union all
      select coalesce(a.kind, 'rider'), coalesce(a.operator_id, ''), in_range, 0::numeric, amount
      from t left join acc a on a.id = t.credit_account_id
    ),
    moves as (
      select kind, operator_id,
             coalesce(sum(debit) filter (where in_range), 0) as debits,
             coalesce(sum(credit) filter (where in_range), 0) as credits,
             coalesce(sum(credit - debit) filter (where not in_range), 0) as later
      from sides group by kind, operator_id
    ),
    balances as (
      select kind, coalesce(operator_id, '') as operator_id, sum(balance) as balance from accounts where currency = ${ctx.currency} group by 1, 2
    ),
    lines as (
      select b.kind, b.operator_id, b.balance - coalesce(m.later, 0) as closing, coalesce(m.debits, 0) as debits, coalesce(m.credits, 0) as credits
      from balances b left join moves m on m.kind = b.kind and m.operator_id = b.operator_id
    )
    select kind as account_kind, nullif(operator_id, '') as operator_id,
           (closing - credits + debits)::text as opening, debits::text, credits::text, closing::text
    from lines
    where ${ctx.operator === undefined ? sql`true` : sql`kind = 'operator_revenue' and operator_id = ${ctx.operator}`}
    order by kind, operator_id`.execute(trx)
  return rows.rows.map((r) => ({
    account_kind: r.account_kind,
    operator_id: r.operator_id,
    opening: moneyFromDb(r.opening),
    debits: moneyFromDb(r.debits),
    credits: moneyFromDb(r.credits),
    closing: moneyFromDb(r.closing),
  }))
}

interface DeviceLine {
  readonly device_id: string
  readonly operator_id: string
  readonly status: string
  readonly taps: string
  readonly first_seq: string | null
  readonly last_seq: string | null
  readonly missing: string
  readonly missing_ranges: string | null
  readonly last_tap_received_at: Date | null
  readonly last_token_at: Date | null
}

/**
 * Every device of the scope (registered, or seen in the range's taps). Its
 * sequence numbers between the lowest and highest of its taps in the range
 * that no tap has (ever) been recorded with are missing: a tap uploaded
 * after the range fills its gap. Only devices with a gap in the range are
 * looked up again, through the (device_id, device_seq) index.
 */
async function deviceLines(trx: Snapshot, ctx: ReportContext): Promise<ReportRow[]> {
  const rows = await sql<DeviceLine>`
    with seqs as (
      select device_id, min(operator_id) as operator_id, device_seq, count(*) as taps, max(received_at) as last_received
      from taps t where ${inRange(ctx, sql`t.recorded_at`)} and ${operatorIs(ctx, sql`t.operator_id`)}
      group by device_id, device_seq
    ),
    seen as (
      select device_id, min(operator_id) as operator_id, sum(taps) as taps, max(last_received) as last_received,
             min(device_seq) as lo, max(device_seq) as hi, count(device_seq) as distinct_seqs
      from seqs group by device_id
    ),
    gapped as (select device_id, lo, hi from seen where hi - lo + 1 > distinct_seqs),
    known as (
      select distinct t.device_id, t.device_seq from gapped g join taps t on t.device_id = g.device_id and t.device_seq between g.lo and g.hi
    ),
    holes as (
      select device_id, prev + 1 as first, device_seq - 1 as last, row_number() over (partition by device_id order by device_seq) as k
      from (select device_id, device_seq, lag(device_seq) over (partition by device_id order by device_seq) as prev from known) steps
      where device_seq - prev > 1
    ),
    gaps as (
      select device_id, sum(last - first + 1) as missing,
             string_agg(case when first = last then first::text else first || '-' || last end, '; ' order by k)
               filter (where k <= ${MISSING_RANGES_SHOWN}) as ranges
      from holes group by device_id
    ),
    registered as (select id, operator_id, status, last_token_at from devices d where ${operatorIs(ctx, sql`d.operator_id`)})
    select coalesce(s.device_id, d.id) as device_id, coalesce(d.operator_id, s.operator_id) as operator_id,
           coalesce(d.status, 'unregistered') as status, coalesce(s.taps, 0)::text as taps, s.lo::text as first_seq, s.hi::text as last_seq,
           coalesce(g.missing, 0)::text as missing, g.ranges as missing_ranges, s.last_received as last_tap_received_at, d.last_token_at
    from seen s
    full join registered d on d.id = s.device_id
    left join gaps g on g.device_id = s.device_id
    order by 1`.execute(trx)
  return rows.rows.map((r) => {
    const lastTap = isoOrNull(r.last_tap_received_at)
    const lastToken = isoOrNull(r.last_token_at)
    const lastSeen = lastTap === null ? lastToken : lastToken === null || lastTap > lastToken ? lastTap : lastToken
    return {
      device_id: r.device_id,
      operator_id: r.operator_id,
      status: r.status,
      taps: Number(r.taps),
      first_seq: r.first_seq === null ? null : Number(r.first_seq),
      last_seq: r.last_seq === null ? null : Number(r.last_seq),
      missing: Number(r.missing),
      missing_ranges: r.missing_ranges ?? '',
      last_tap_received_at: lastTap,
      last_token_at: lastToken,
      last_seen: lastSeen,
    }
  })
}

function sum(rows: readonly ReportRow[], column: string): Decimal {
  return rows.reduce((total, row) => total.plus(row[column] as Decimal), ZERO)
}

function warningsOf(
  ctx: ReportContext,
  codes: readonly ReportRow[],
  accounts: readonly ReportRow[],
  devices: readonly ReportRow[],
): { warnings: ReportWarning[]; balanced: boolean | null } {
  const warnings: ReportWarning[] = []
  const rejected = codes.reduce((n, r) => n + (r.rejected as number), 0)
  if (rejected > 0) {
    const byCode = codes.map((r) => `${r.code} ${r.rejected}`).join(', ')
    warnings.push({ code: 'TAPS_REJECTED', message: `${rejected} record(s) rejected by the ledger and dead-lettered (${byCode})` })
  }
  for (const d of devices) {
    if ((d.missing as number) > 0)
      warnings.push({ code: 'DEVICE_SEQUENCE_GAP', message: `device ${d.device_id}: ${d.missing} sequence number(s) never recorded (${d.missing_ranges})` })
  }
  // Only the whole ledger balances; an operator sees its revenue account alone.
  if (ctx.operator !== undefined) return { warnings, balanced: null }
  const debits = sum(accounts, 'debits')
  const credits = sum(accounts, 'credits')
  const opening = sum(accounts, 'opening')
  const closing = sum(accounts, 'closing')
  const balanced = debits.equals(credits) && opening.isZero() && closing.isZero()
  if (!balanced)
    warnings.push({
      code: 'LEDGER_UNBALANCED',
      message: `debits ${debits.toFixed(2)}, credits ${credits.toFixed(2)}, opening balances sum to ${opening.toFixed(2)}, closing to ${closing.toFixed(2)}`,
    })
  return { warnings, balanced }
}

export async function reconciliationReport(ctx: ReportContext, section: ReconciliationSection): Promise<Report> {
  const { counts, codes, money, accounts, devices } = await inSnapshot(ctx.db, async (trx) => ({
    counts: await tapCounts(trx, ctx),
    codes: await rejectedByCode(trx, ctx),
    money: await moneyFigures(trx, ctx),
    accounts: await trialBalance(trx, ctx),
    devices: await deviceLines(trx, ctx),
  }))
  const summary: ReportRow[] = [
    { figure: 'taps_received', count: counts.settled + counts.rejected, amount: null },
    { figure: 'taps_settled', count: counts.settled, amount: null },
    { figure: 'taps_rejected', count: counts.rejected, amount: null },
    { figure: 'taps_dead_lettered', count: counts.rejected, amount: null },
    ...money,
  ]
  const tables: Record<ReconciliationSection, readonly ReportRow[]> = { summary, codes, accounts, devices }
  const { warnings, balanced } = warningsOf(ctx, codes, accounts, devices)
  const accountTotals = {
    opening: sum(accounts, 'opening'),
    debits: sum(accounts, 'debits'),
    credits: sum(accounts, 'credits'),
    closing: sum(accounts, 'closing'),
  }
  return {
    name: section === 'summary' ? 'reconciliation' : `reconciliation-${section}`,
    range: ctx.range,
    timeZone: ctx.timeZone,
    operator: ctx.operator,
    currency: ctx.currency,
    meta: {
      section,
      fromInstant: ctx.fromInstant.toISOString(),
      toInstant: ctx.toInstant.toISOString(),
      balanced,
      warnings,
      summary: jsonTable(COLUMNS.summary, summary),
      codes: jsonTable(COLUMNS.codes, codes),
      accounts: jsonTable(COLUMNS.accounts, accounts),
      accountTotals: jsonTable(['opening', 'debits', 'credits', 'closing'], [accountTotals])[0],
      devices: jsonTable(COLUMNS.devices, devices),
    },
    columns: COLUMNS[section],
    rows: tables[section],
  }
}
