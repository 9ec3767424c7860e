/**
 * GET /v1/reports/data-quality on the scenario of recon-scenario.ts: the
 * unknown route and stop the ledger rejected, the rail ride never tapped off
 * and the exit with no entry, the double tap, and the delays. The receipt
 * delays are the scenario's (B's second trolley tap arrived 2.5 h late; the
 * rest on time); the settlement lag depends on when the ledger ran, so its
 * percentiles are worked out here from the recorded taps, as percentile_cont
 * does (linear between the two nearest).
 */
import { parse } from 'csv-parse/sync'
import { sql } from 'kysely'
import t from 'tap'
import { settleReconScenario } from './recon-scenario.ts'

const s = await settleReconScenario('reports-data-quality')
t.teardown(() => s.close())
const { from, to } = s.days
const url = (query: string) => `/v1/reports/data-quality?from=${from}&to=${to}${query}`

type Row = Record<string, string | number | null>

const count = (figure: string, n: number): Row => ({ figure, count: n, p50_seconds: null, p95_seconds: null, p99_seconds: null, max_seconds: null })
const spread = (figure: string, n: number, [p50, p95, p99, max]: (number | null)[]): Row => ({
  figure,
  count: n,
  p50_seconds: p50 ?? null,
  p95_seconds: p95 ?? null,
  p99_seconds: p99 ?? null,
  max_seconds: max ?? null,
})

/** percentile_cont over sorted values, to the millisecond as the report gives it. */
function percentiles(values: number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (p: number): number => {
    const position = (sorted.length - 1) * p
    const low = Math.floor(position)
    const high = Math.ceil(position)
    const a = sorted[low] as number
    const b = sorted[high] as number
    return a + (b - a) * (position - low)
  }
  return [at(0.5), at(0.95), at(0.99), sorted[sorted.length - 1] as number].map((v) => Math.round(v * 1000) / 1000)
}

async function lags(operator?: string): Promise<number[]> {
  const rows = await sql<{ lag: number }>`
    select extract(epoch from recorded_at - received_at)::float8 as lag from taps
    where ${operator === undefined ? sql`true` : sql`operator_id = ${operator}`}`.execute(s.bench.database.db)
  return rows.rows.map((r) => r.lag)
}

async function report(query = '', token?: string): Promise<{ rows: Row[]; warnings: { code: string }[] }> {
  const res = await s.get(url(query), token)
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`)
  return res.json() as { rows: Row[]; warnings: { code: string }[] }
}

t.test('admin: every figure of the range', async (t) => {
  const body = await report()
  t.same(body.rows, [
    count('unknown_route', 1),
    count('unknown_stop', 1),
    count('incomplete_journeys', 1),
    count('unmatched_exits', 1),
    count('double_taps', 1),
    spread('settlement_lag', 8, percentiles(await lags())),
    // Seven taps on time, one 9000 s late: p95 = 0 + 0.65 * 9000, p99 = 0.93 * 9000.
    spread('receipt_delay', 8, [0, 5850, 8370, 9000]),
    count('late_taps', 1),
  ])
  t.same(
    body.warnings.map((w) => w.code),
    ['UNRATABLE_TAPS', 'LATE_TAPS'],
  )
})

t.test('an operator sees its own taps only', async (t) => {
  const bus = await report('', s.operatorToken('lutsk-bus'))
  t.same(bus.rows, [
    count('unknown_route', 1),
    count('unknown_stop', 0),
    count('incomplete_journeys', 1),
    count('unmatched_exits', 1),
    count('double_taps', 1),
    spread('settlement_lag', 6, percentiles(await lags('lutsk-bus'))),
    spread('receipt_delay', 6, [0, 0, 0, 0]),
    count('late_taps', 0),
  ])
  const trolley = await report('', s.operatorToken('lutsk-trolley'))
  t.same(trolley.rows, [
    count('unknown_route', 0),
    count('unknown_stop', 1),
    count('incomplete_journeys', 0),
    count('unmatched_exits', 0),
    count('double_taps', 0),
    spread('settlement_lag', 2, percentiles(await lags('lutsk-trolley'))),
    // Two taps, 0 and 9000 s: linear between them.
    spread('receipt_delay', 2, [4500, 8550, 8910, 9000]),
    count('late_taps', 1),
  ])
  t.same((await report('&operator=lutsk-trolley')).rows, trolley.rows, 'an admin filtering by operator sees the same')
  const other = await s.get(url('&operator=lutsk-trolley'), s.operatorToken('lutsk-bus'))
  t.equal(other.statusCode, 403)
  t.equal(other.json().error.code, 'REPORT_OPERATOR_FORBIDDEN')
})

t.test('an empty range: counts of zero, no percentiles', async (t) => {
  const body = (await s.get(`/v1/reports/data-quality?from=${s.days.pastFrom}&to=${s.days.pastTo}`)).json() as { rows: Row[]; warnings: unknown[] }
  t.same(
    body.rows.find((r) => r.figure === 'settlement_lag'),
    spread('settlement_lag', 0, [null, null, null, null]),
  )
  t.same(body.warnings, [])
})

t.test('CSV parses back into the JSON rows', async (t) => {
  const json = await report()
  const res = await s.get(url(''), undefined, { accept: 'text/csv' })
  t.equal(res.statusCode, 200)
  const parsed = parse(res.body, { columns: true }) as Record<string, string>[]
  t.same(
    parsed,
    json.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? '' : String(v)]))),
  )
})

t.test('bad input: 400 with a code', async (t) => {
  for (const query of ['?from=2026-11-31&to=2026-12-01', '?from=2026-12-01&to=2026-12-01', '?from=2024-01-01&to=2026-01-01']) {
    const res = await s.get(`/v1/reports/data-quality${query}`)
    t.equal(res.statusCode, 400, query)
    t.equal(res.json().error.code, 'REPORT_RANGE_INVALID', query)
  }
  const unknown = await s.get(url('&groupBy=day'))
  t.equal(unknown.statusCode, 400, 'no groupBy here')
  t.equal(unknown.json().error.code, 'REQUEST_INVALID')
})
