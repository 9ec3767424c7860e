/**
 * Data quality: what in the taps needs a look, one line per figure. Taps the
 * ledger refused for an unknown route or stop (rejected in the range, by the
 * ledger's clock); journeys the engine could not complete, and double taps
 * (rated taps of the range's service days); how long taps took from ingest to
 * settlement, and from the tap to ingest, as percentiles (taps recorded in
 * the range, by the ledger's clock), and how many arrived over an hour late.
 */
import type { unratableReason } from '@fare/tariffs'
import { sql } from 'kysely'
import type { ReportContext } from './context.ts'
import { inRange, inSnapshot, operatorIs, type ReportWarning, rejectedInScope, type Snapshot } from './ledger-clock.ts'
import type { Report, ReportRow } from './respond.ts'

const COLUMNS = ['figure', 'count', 'p50_seconds', 'p95_seconds', 'p99_seconds', 'max_seconds'] as const

/** A tap received this long after it was made counts as late (an offline validator's upload). */
export const LATE_TAP_SECONDS = 3600

/** The ledger rejects a tap the tariff in force cannot rate with unratableReason's answer as the code (services/ledger/src/records.ts). */
const UNRATABLE: Readonly<Record<string, Exclude<ReturnType<typeof unratableReason>, undefined>>> = {
  unknown_route: 'UNKNOWN_ROUTE',
  unknown_stop: 'UNKNOWN_STOP',
}

/** The engine's explanation kinds counted here (tap_charges.charge_kind): the partial index tap_charges_anomalies holds these rows. */
const CHARGE_KINDS: Readonly<Record<string, string>> = { incomplete_journeys: 'incomplete', unmatched_exits: 'unmatched_exit', double_taps: 'double_tap' }

async function unratable(trx: Snapshot, ctx: ReportContext): Promise<ReportRow[]> {
  const rows = await sql<{ code: string; n: string }>`
    select r.code, count(*) as n from rejected_taps r
    where ${inRange(ctx, sql`r.rejected_at`)} and r.code in (${sql.join(Object.values(UNRATABLE))}) and ${rejectedInScope(ctx)}
    group by r.code`.execute(trx)
  const byCode = new Map(rows.rows.map((r) => [r.code, Number(r.n)]))
  return Object.entries(UNRATABLE).map(([figure, code]) => countLine(figure, byCode.get(code) ?? 0))
}

async function chargeKinds(trx: Snapshot, ctx: ReportContext): Promise<ReportRow[]> {
  const rows = await sql<{ charge_kind: string; n: string }>`
    select charge_kind, count(*) as n from tap_charges c
    where c.service_day >= ${ctx.range.from} and c.service_day < ${ctx.range.to} and ${operatorIs(ctx, sql`c.operator_id`)}
      and c.charge_kind in (${sql.join(Object.values(CHARGE_KINDS).map((k) => sql.lit(k)))})
    group by charge_kind`.execute(trx)
  const byKind = new Map(rows.rows.map((r) => [r.charge_kind, Number(r.n)]))
  return Object.entries(CHARGE_KINDS).map(([figure, kind]) => countLine(figure, byKind.get(kind) ?? 0))
}

interface Delays {
  readonly n: string
  readonly lag: number[] | null
  readonly lag_max: number | null
  readonly delay: number[] | null
  readonly delay_max: number | null
  readonly late: string
}

/** Percentiles of two delays over the taps recorded in the range, in seconds (milliseconds kept). */
async function delays(trx: Snapshot, ctx: ReportContext): Promise<ReportRow[]> {
  // Sorting millions of delays for the percentiles: in memory, not in temporary files.
  await sql`set local work_mem = '256MB'`.execute(trx)
  const rows = await sql<Delays>`
    with d as (
      select extract(epoch from t.recorded_at - t.received_at)::float8 as lag, extract(epoch from t.received_at - t.tapped_at)::float8 as delay
      from taps t where ${inRange(ctx, sql`t.recorded_at`)} and ${operatorIs(ctx, sql`t.operator_id`)}
    )
    select count(*) as n,
           percentile_cont(array[0.5, 0.95, 0.99]) within group (order by lag) as lag, max(lag) as lag_max,
           percentile_cont(array[0.5, 0.95, 0.99]) within group (order by delay) as delay, max(delay) as delay_max,
           count(*) filter (where delay > ${LATE_TAP_SECONDS}) as late
    from d`.execute(trx)
  const r = rows.rows[0] as Delays
  const n = Number(r.n)
  return [
    percentileLine('settlement_lag', n, r.lag, r.lag_max),
    percentileLine('receipt_delay', n, r.delay, r.delay_max),
    countLine('late_taps', Number(r.late)),
  ]
}

const seconds = (value: number | null | undefined): number | null => (value === null || value === undefined ? null : Math.round(value * 1000) / 1000)

function countLine(figure: string, count: number): ReportRow {
  return { figure, count, p50_seconds: null, p95_seconds: null, p99_seconds: null, max_seconds: null }
}

function percentileLine(figure: string, count: number, p: number[] | null, max: number | null): ReportRow {
  return { figure, count, p50_seconds: seconds(p?.[0]), p95_seconds: seconds(p?.[1]), p99_seconds: seconds(p?.[2]), max_seconds: seconds(max) }
}

function warningsOf(rows: readonly ReportRow[]): ReportWarning[] {
  const count = (figure: string): number => (rows.find((r) => r.figure === figure)?.count as number | undefined) ?? 0
  const warnings: ReportWarning[] = []
  const unknown = count('unknown_route') + count('unknown_stop')
  if (unknown > 0) warnings.push({ code: 'UNRATABLE_TAPS', message: `${unknown} tap(s) name a route or stop the tariff does not know (rejected)` })
  const late = count('late_taps')
  if (late > 0) warnings.push({ code: 'LATE_TAPS', message: `${late} tap(s) reached ingest more than ${LATE_TAP_SECONDS / 3600} h after they were made` })
  return warnings
}

export async function dataQualityReport(ctx: ReportContext): Promise<Report> {
  const rows = await inSnapshot(ctx.db, async (trx) => [...(await unratable(trx, ctx)), ...(await chargeKinds(trx, ctx)), ...(await delays(trx, ctx))])
  return {
    name: 'data-quality',
    range: ctx.range,
    timeZone: ctx.timeZone,
    operator: ctx.operator,
    currency: ctx.currency,
    meta: { fromInstant: ctx.fromInstant.toISOString(), toInstant: ctx.toInstant.toISOString(), lateTapSeconds: LATE_TAP_SECONDS, warnings: warningsOf(rows) },
    columns: COLUMNS,
    rows,
  }
}
