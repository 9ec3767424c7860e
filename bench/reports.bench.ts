/**
 * `pnpm bench:reports`: every report and the TIDES export over a Lutsk-sized
 * month. The month (150,000 taps a day for 30 days, 150,000 cards, 20
 * operators; bench/reports/month.ts) is settled through the real ledger code
 * into a database kept between runs (bench/reports/settled-month.ts), so a
 * second run measures the reports only. Then the api listens in this process
 * and each report route it serves (read from its OpenAPI document) is asked
 * for the month as JSON, with an admin token (every operator) and an operator
 * token (op-01): one warm-up, then BENCH_RUNS runs, p50 and p95 (nearest
 * rank: with 10 runs p95 is the slowest). A report whose p95 reaches 1 s has
 * its slowest statement run under EXPLAIN ANALYZE, printed. The TIDES export
 * of the month is streamed to the end, rows per second and the process's
 * memory above its start sampled along the way.
 *
 * Knobs: BENCH_DAYS (30), BENCH_LEDGER_DAYS (as many: the days the ledger settles; the others are copies
 * of them, for a machine too busy to settle the month, bench/reports/copied-days.ts), BENCH_TAPS_PER_DAY
 * (150000), BENCH_CARDS (150000), BENCH_BATCH (records per settleBatch, 2000), BENCH_CONCURRENCY
 * (partitions settled at once, 6), BENCH_PHASES=1 (settleBatch's phases per day), BENCH_RUNS (10),
 * BENCH_TIDES_RUNS (3), BENCH_SLOW_MS (10000: a report slower in its warm-up runs once more only),
 * BENCH_EXPLAIN=1 (explain every report's slowest statement, not only the slow ones), BENCH_WRITE_DOC=0
 * (print only; the doc is written only for the full 30-day month).
 */
import { cpus } from 'node:os'
import { buildApp } from '@fare/api'
import { AUDIENCE } from '@fare/auth'
import { createLogger, createMetricsRegistry } from '@fare/platform'
import { sql } from 'kysely'
import { createTestIssuer } from '../test/support/keys.ts'
import { writeLatestRun } from './latest-run.ts'
import { type StreamResult, streamExport, type Timing, timeReport } from './reports/measure.ts'
import { dayOf, MONTH } from './reports/month.ts'
import { explain, loggingDb } from './reports/query-log.ts'
import { reportVariants, servesTides, TIDES_PATH } from './reports/routes.ts'
import { settledMonth } from './reports/settled-month.ts'

const DAYS = Number(process.env.BENCH_DAYS ?? 30)
const parameters = {
  days: DAYS,
  ledgerDays: Math.min(DAYS, Number(process.env.BENCH_LEDGER_DAYS ?? DAYS)),
  tapsPerDay: Number(process.env.BENCH_TAPS_PER_DAY ?? 150_000),
  cards: Number(process.env.BENCH_CARDS ?? 150_000),
  batch: Number(process.env.BENCH_BATCH ?? 2000),
}
const RUNS = Number(process.env.BENCH_RUNS ?? 10)
const TIDES_RUNS = Number(process.env.BENCH_TIDES_RUNS ?? 3)
const EXPLAIN_ALL = process.env.BENCH_EXPLAIN === '1'
const AIM_MS = 1000
/** A report slower than this in its warm-up is run once more only (on a busy machine a month's report can take minutes). */
const SLOW_MS = Number(process.env.BENCH_SLOW_MS ?? 10_000)
const OPERATOR = 'op-01'

const provenance =
  parameters.ledgerDays < DAYS
    ? `the first ${parameters.ledgerDays} day(s) settled through the ledger code, the other ${DAYS - parameters.ledgerDays} copies of them ` +
      "(bench/reports/copied-days.ts: whole days shifted, fresh tap and journey ids, each card's rows moved to another card)"
    : 'every day settled through the ledger code'
const month = await settledMonth(parameters, Number(process.env.BENCH_CONCURRENCY ?? 6))
const from = `${MONTH}-01`
const to = DAYS >= 30 ? '2026-12-01' : dayOf(DAYS)
const counts = await sql<{ taps: string; charges: string; cards: string }>`
  select (select count(*) from taps) as taps, (select count(*) from tap_charges) as charges,
         (select count(distinct card_token) from tap_charges) as cards`.execute(month.db)
const size = counts.rows[0]
const opRows = await month.db
  .selectFrom('tap_charges')
  .select((eb) => eb.fn.countAll<string>().as('n'))
  .where('operator_id', '=', OPERATOR)
  .executeTakeFirstOrThrow()
console.log(
  `month ${from} to ${to} (exclusive) in ${month.name}: ${size?.taps} taps, ${size?.charges} tap_charges rows ` +
    `(${opRows.n} of them ${OPERATOR}'s), ${size?.cards} cards rode; ${provenance}; built in ${month.settleSeconds.toFixed(0)} s` +
    `${month.builtNow ? '' : ' by an earlier run'}`,
)
await month.db.destroy()

const log = loggingDb(month.url)
const issuer = createTestIssuer()
const app = await buildApp(
  { logger: createLogger({ level: 'warn', name: 'bench-reports' }), db: log.db, registry: createMetricsRegistry('api'), jwtPublicKeyPem: issuer.publicKeyPem },
  { rateLimitPerMinute: 1_000_000_000 },
)
const base = await app.listen({ host: '127.0.0.1', port: 0 })
const THREE_HOURS = 3 * 3600
const tokens = {
  admin: issuer.sign({ sub: 'bench-admin', role: 'admin' }, AUDIENCE.api, THREE_HOURS),
  operator: issuer.sign({ sub: 'bench-operator', role: 'operator', operator_id: OPERATOR }, AUDIENCE.api, THREE_HOURS),
}
type Role = keyof typeof tokens

interface Measured {
  readonly label: string
  readonly role: Role
  readonly timing: Timing
  readonly slowestQueryMs: number
  /** An admin asked for one operator (?operator=), as a report of one operator's books requires. */
  readonly oneOperator: boolean
}
const measured: Measured[] = []
const plans: string[] = []
const variants = reportVariants(app)
console.log(`reports served: ${[...new Set(variants.map((v) => v.path))].join(', ')}`)
for (const variant of variants) {
  for (const role of ['admin', 'operator'] as const) {
    const query = new URLSearchParams({ from, to, ...variant.query })
    log.take()
    let timing = await timeReport(`${base}${variant.path}?${query}`, tokens[role], RUNS, { slowMs: SLOW_MS, slowRuns: 1 })
    // A report of one operator's books (the operator statement): an admin names the operator.
    if (timing.error?.includes('REPORT_OPERATOR_REQUIRED')) {
      query.set('operator', OPERATOR)
      log.take()
      timing = await timeReport(`${base}${variant.path}?${query}`, tokens[role], RUNS, { slowMs: SLOW_MS, slowRuns: 1 })
    }
    const queries = log.take()
    const slowest = queries.reduce<(typeof queries)[number] | undefined>((a, q) => (a === undefined || q.ms > a.ms ? q : a), undefined)
    measured.push({ label: variant.label, role, timing, slowestQueryMs: slowest?.ms ?? 0, oneOperator: query.has('operator') })
    const line = timing.error
      ? `${timing.status} ${timing.error}`
      : `p50 ${timing.p50.toFixed(0)} ms, p95 ${timing.p95.toFixed(0)} ms over ${timing.runsMs.length} runs (${(timing.bytes / 1024).toFixed(0)} KiB); ` +
        `slowest statement ${slowest?.ms.toFixed(0) ?? '-'} ms${timing.p95 >= AIM_MS ? '  <-- over 1 s' : ''}`
    console.log(`${variant.label.padEnd(34)} ${role.padEnd(8)} ${line}`)
    if (slowest && (EXPLAIN_ALL || timing.p95 >= AIM_MS)) {
      const plan = await explain(log.db, slowest)
      plans.push(`-- ${variant.label}, ${role}: ${slowest.ms.toFixed(0)} ms\n${slowest.sql}\n${plan}`)
      console.log(plans.at(-1))
    }
  }
}

interface TidesMeasured {
  readonly role: Role
  readonly kind: 'csv' | 'zip'
  readonly runs: readonly StreamResult[]
}
const tides: TidesMeasured[] = []
if (servesTides(app)) {
  for (const role of ['admin', 'operator'] as const) {
    const expected = Number(role === 'admin' ? size?.charges : opRows.n)
    const csvUrl = `${base}${TIDES_PATH}?${new URLSearchParams({ from, to, table: 'fare_transactions' })}`
    const runs: StreamResult[] = []
    for (let i = 0; i < TIDES_RUNS; i++) {
      const r = await streamExport(csvUrl, tokens[role], expected)
      runs.push(r)
      console.log(
        r.error
          ? `TIDES fare_transactions ${role}: ${r.status} ${r.error}`
          : `TIDES fare_transactions ${role} run ${i + 1}: ${r.rows} rows in ${r.seconds.toFixed(1)} s = ${r.rowsPerSecond.toFixed(0)} rows/s ` +
              `(${(r.bytes / 1024 / 1024).toFixed(0)} MiB, first byte ${r.firstByteMs.toFixed(0)} ms); RSS +${r.rssGrowthMiB.toFixed(0)} MiB at peak ` +
              `(along the stream: ${r.rssAlongMiB.map((m) => m.toFixed(0)).join(' / ')} MiB), heap +${r.heapGrowthMiB.toFixed(0)} MiB`,
      )
      if (r.error) break
    }
    tides.push({ role, kind: 'csv', runs })
  }
  const zip = await streamExport(`${base}${TIDES_PATH}?${new URLSearchParams({ from, to })}`, tokens.admin, Number(size?.charges), false)
  tides.push({ role: 'admin', kind: 'zip', runs: [zip] })
  console.log(
    zip.error
      ? `TIDES ZIP admin: ${zip.status} ${zip.error}`
      : `TIDES ZIP admin: ${(zip.bytes / 1024 / 1024).toFixed(0)} MiB in ${zip.seconds.toFixed(1)} s (${zip.rowsPerSecond.toFixed(0)} fare transactions/s); ` +
          `RSS +${zip.rssGrowthMiB.toFixed(0)} MiB at peak, heap +${zip.heapGrowthMiB.toFixed(0)} MiB`,
  )
} else console.log(`${TIDES_PATH} is not served on this branch: not measured`)
await app.close()
await log.db.destroy()

const fmt = (ms: number): string => (Number.isNaN(ms) ? '-' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`)
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? Number.NaN : s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2
}
const reportRows = [...new Set(measured.map((m) => m.label))].map((label) => {
  const cell = (role: Role): string => {
    const m = measured.find((x) => x.label === label && x.role === role)
    if (!m) return '-'
    if (m.timing.error) return `${m.timing.status}`
    const notes = [
      m.timing.p95 >= AIM_MS ? 'over 1 s' : '',
      m.timing.runsMs.length < RUNS ? `${m.timing.runsMs.length} runs` : '',
      role === 'admin' && m.oneOperator ? `?operator=${OPERATOR}` : '',
    ].filter(Boolean)
    return `${fmt(m.timing.p50)} / ${fmt(m.timing.p95)}${notes.length ? ` (${notes.join(', ')})` : ''}`
  }
  return `| ${label} | ${cell('admin')} | ${cell('operator')} |`
})
const tidesRows = tides
  .filter((t) => t.runs.every((r) => !r.error))
  .map((t) => {
    const rate = median(t.runs.map((r) => r.rowsPerSecond))
    const rss = Math.max(...t.runs.map((r) => r.rssGrowthMiB))
    const heap = Math.max(...t.runs.map((r) => r.heapGrowthMiB))
    const first = t.runs[0]
    const what = t.kind === 'csv' ? `fare_transactions CSV, ${t.role}` : 'ZIP data package, admin'
    const rows = t.kind === 'csv' ? `${first?.rows ?? 0}` : `(${size?.charges})`
    return (
      `| ${what} | ${rows} | ${(median(t.runs.map((r) => r.bytes)) / 1024 / 1024).toFixed(0)} MiB | ` +
      `${median(t.runs.map((r) => r.seconds)).toFixed(1)} s | ${rate.toFixed(0)} | +${rss.toFixed(0)} MiB / +${heap.toFixed(0)} MiB | ` +
      `${t.kind === 'csv' ? (first?.rssAlongMiB.map((m) => m.toFixed(0)).join(' / ') ?? '') : '-'} |`
    )
  })
const body =
  `
Latest run of \`pnpm bench:reports\` (${cpus().length} cores, ${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ` +
  `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.
The month ${from} to ${to}: ${Number(size?.taps).toLocaleString('en')} taps ` +
  `(${parameters.tapsPerDay.toLocaleString('en')} a day; ${provenance}; ` +
  `${parameters.cards.toLocaleString('en')} cards of which ${Number(size?.cards).toLocaleString('en')} rode, 20 operators, 60 routes), ` +
  `${Number(size?.charges).toLocaleString('en')} tap_charges rows, ${Number(opRows.n).toLocaleString('en')} of them ${OPERATOR}'s. ` +
  `Each report as JSON for the whole month, over HTTP to the api in the bench's process: one warm-up, then ${RUNS} runs; p50 / p95 ` +
  `(nearest rank: the slowest of ${RUNS}). Admin: every operator; operator: ${OPERATOR}'s token.

| report | admin p50 / p95 | operator p50 / p95 |
|---|---|---|
${reportRows.join('\n')}
${
  tidesRows.length === 0
    ? `\nTIDES export: ${TIDES_PATH} not served on this branch.`
    : `
TIDES export of the month (${TIDES_RUNS} runs of each CSV, the median; memory: the bench process's RSS and heap above their start, ` +
      `the highest of the runs, and RSS above the start at 25 / 50 / 75 / 100% of the rows):

| export | rows | size | time | rows/s | RSS / heap growth at peak | RSS along the stream (MiB) |
|---|---|---|---|---|---|---|
${tidesRows.join('\n')}`
}
`
if (process.env.BENCH_WRITE_DOC !== '0' && DAYS >= 30) writeLatestRun('reports', 'Reports', body)
else console.log(body)
process.exit(0)
