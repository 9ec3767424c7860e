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

/** Transfers since the range's start grouped by kind and the kinds (and operators) of their two sides: a few dozen rows. */
interface Flow {
  readonly kind: string
  readonly dk: string
  readonly dop: string | null
  readonly ck: string
  readonly cop: string | null
  readonly in_range: boolean
  readonly n: string
  readonly amount: string
}

const HOUR_MS = 3_600_000

/**
 * The transfers from the range's start on (those after its end take the
 * balances back to it), grouped. Whole UTC hours come from `transfer_hours`
 * (kept with every transfer posted: a month is a few thousand rows); only
 * the part-hours at the range's ends, if its instants are not on the hour,
 * are read from `transfers`. Non-rider accounts are few: a side that is none
 * of them is a rider's account, so the join never reads the riders'.
 */
async function flows(trx: Snapshot, ctx: ReportContext): Promise<Flow[]> {
  const from = ctx.fromInstant.getTime()
  const to = ctx.toInstant.getTime()
  // Whole hours [wholeFrom, wholeTo) lie in the range and [afterTo, ...) after it; the part-hours [from, wholeFrom) and
  // [wholeTo, afterTo) are read from transfers, and only if they are not empty (an empty range still reads every
  // unsummarized BRIN page range).
  let wholeFrom = Math.ceil(from / HOUR_MS) * HOUR_MS
  let wholeTo = Math.floor(to / HOUR_MS) * HOUR_MS
  const afterTo = Math.ceil(to / HOUR_MS) * HOUR_MS
  if (wholeFrom > wholeTo) {
    wholeFrom = from
    wholeTo = from
  }
  const parts = [
    [from, wholeFrom],
    [wholeTo, afterTo],
  ].filter(([lo, hi]) => (lo as number) < (hi as number))
  const instant = (ms: number) => new Date(ms)
  const edges =
    parts.length === 0
      ? sql``
      : sql`
    union all
    select t.kind, coalesce(d.kind, 'rider'), d.operator_id, coalesce(c.kind, 'rider'), c.operator_id, t.created_at < ${ctx.toInstant}, 1::bigint, t.amount
    from transfers t left join acc d on d.id = t.debit_account_id left join acc c on c.id = t.credit_account_id
    where t.currency = ${ctx.currency}
      and (${sql.join(
        parts.map(([lo, hi]) => sql`(t.created_at >= ${instant(lo as number)} and t.created_at < ${instant(hi as number)})`),
        sql` or `,
      )})`
  const rows = await sql<Flow>`
    with acc as (select id, kind, operator_id from accounts where kind <> 'rider')
    select kind, dk, dop, ck, cop, in_range, sum(n)::text as n, sum(amount)::text as amount
    from (
      select kind, debit_kind as dk, debit_operator as dop, credit_kind as ck, credit_operator as cop, hour < ${instant(wholeTo)} as in_range,
             transfers as n, amount
      from transfer_hours
      where currency = ${ctx.currency} and ((hour >= ${instant(wholeFrom)} and hour < ${instant(wholeTo)}) or hour >= ${instant(afterTo)})
      ${edges}
    ) moved
    group by 1, 2, 3, 4, 5, 6`.execute(trx)
  return rows.rows
}

interface Figure {
  count: number
  amount: Decimal
}

/**
 * Money moved in the range, by what it was for: how many transfers, and the
 * sum signed as the figure says. Charges are what riders paid operators (fare
 * and fare_adjustment, net of money given back); revenue splits and
 * concessions are net to operators (admins: splits as moved); manual
 * adjustments are net to riders. Top-ups, refunds, manual adjustments and
 * balance moves are the city's, not an operator's.
 */
function moneyFigures(ctx: ReportContext, all: readonly Flow[]): ReportRow[] {
  const op = ctx.operator
  const figures = new Map<string, Figure>(
    ['charges', 'revenue_splits', 'concessions', 'top_ups', 'refunds', 'manual_adjustments', 'balance_moves'].map((f) => [f, { count: 0, amount: ZERO }]),
  )
  const add = (figure: string, flow: Flow, sign: 1 | -1): void => {
    const f = figures.get(figure) as Figure
    f.count += Number(flow.n)
    f.amount = f.amount.plus(moneyFromDb(flow.amount).times(sign))
  }
  for (const flow of all) {
    if (!flow.in_range) continue
    const riderSide = flow.dk === 'rider' || flow.ck === 'rider'
    const touches = op === undefined || flow.dop === op || flow.cop === op
    if ((flow.kind === 'fare' || flow.kind === 'fare_adjustment') && riderSide) {
      if (touches) add('charges', flow, flow.dk === 'rider' ? 1 : -1)
    } else if (flow.kind === 'fare_adjustment' && flow.dk === 'operator_revenue' && flow.ck === 'operator_revenue') {
      if (touches) add('revenue_splits', flow, op === undefined || flow.cop === op ? 1 : -1)
    } else if (flow.kind === 'concession') {
      if (touches) add('concessions', flow, flow.ck === 'operator_revenue' ? 1 : -1)
    } else if (op === undefined) {
      if (flow.kind === 'top_up') add('top_ups', flow, 1)
      else if (flow.kind === 'refund') add('refunds', flow, 1)
      else if (flow.kind === 'manual_adjustment') add('manual_adjustments', flow, flow.ck === 'rider' ? 1 : -1)
      else if (flow.kind === 'balance_move') add('balance_moves', flow, 1)
    }
  }
  const shown = op === undefined ? [...figures.keys()] : ['charges', 'revenue_splits', 'concessions']
  return shown.map((figure) => ({ figure, count: (figures.get(figure) as Figure).count, amount: (figures.get(figure) as Figure).amount }))
}

interface Movement {
  debits: Decimal
  credits: Decimal
  /** Credits minus debits after the range's end. */
  later: Decimal
}

/**
 * The trial balance, per account kind (and operator, for revenue accounts):
 * balances (credits minus debits) at the range's start and end, and the
 * debits and credits between. Both balances are the accounts' current
 * balances less what moved since, so only transfers from the range's start
 * on are read, never the whole history.
 */
async function trialBalance(trx: Snapshot, ctx: ReportContext, all: readonly Flow[]): Promise<ReportRow[]> {
  const balances = await sql<{ kind: string; operator_id: string | null; balance: string }>`
    select kind, operator_id, sum(balance)::text as balance from accounts where currency = ${ctx.currency} group by 1, 2`.execute(trx)
  const key = (kind: string, operator: string | null): string => `${kind}\u0000${operator ?? ''}`
  const moves = new Map<string, Movement>()
  const movement = (k: string): Movement => {
    let m = moves.get(k)
    if (!m) {
      m = { debits: ZERO, credits: ZERO, later: ZERO }
      moves.set(k, m)
    }
    return m
  }
  for (const flow of all) {
    const amount = moneyFromDb(flow.amount)
    const debit = movement(key(flow.dk, flow.dop))
    const credit = movement(key(flow.ck, flow.cop))
    if (flow.in_range) {
      debit.debits = debit.debits.plus(amount)
      credit.credits = credit.credits.plus(amount)
    } else {
      debit.later = debit.later.minus(amount)
      credit.later = credit.later.plus(amount)
    }
  }
  return balances.rows
    .filter((b) => ctx.operator === undefined || (b.kind === 'operator_revenue' && b.operator_id === ctx.operator))
    .sort((a, b) => (a.kind === b.kind ? ((a.operator_id ?? '') < (b.operator_id ?? '') ? -1 : 1) : a.kind < b.kind ? -1 : 1))
    .map((b) => {
      const m = moves.get(key(b.kind, b.operator_id)) ?? { debits: ZERO, credits: ZERO, later: ZERO }
      const closing = moneyFromDb(b.balance).minus(m.later)
      return {
        account_kind: b.kind,
        operator_id: b.operator_id,
        opening: closing.minus(m.credits).plus(m.debits),
        debits: m.debits,
        credits: m.credits,
        closing,
      }
    })
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
    with seen as (
      select device_id, min(operator_id) as operator_id, count(*) as taps, max(received_at) as last_received,
             min(device_seq) as lo, max(device_seq) as hi, count(device_seq) as seqs
      from taps t where ${inRange(ctx, sql`t.recorded_at`)} and ${operatorIs(ctx, sql`t.operator_id`)}
      group by device_id
    ),
    -- As many numbers as taps between the lowest and highest: no gap, unless a number came twice; those are looked at again.
    gapped as (select device_id, lo, hi from seen where hi - lo + 1 <> seqs),
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
  const { counts, codes, money, accounts, devices } = await inSnapshot(ctx.db, async (trx) => {
    const moved = await flows(trx, ctx)
    return {
      counts: await tapCounts(trx, ctx),
      codes: await rejectedByCode(trx, ctx),
      money: moneyFigures(ctx, moved),
      accounts: await trialBalance(trx, ctx, moved),
      devices: await deviceLines(trx, ctx),
    }
  })
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
