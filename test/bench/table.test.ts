/**
 * `pnpm bench`'s table is what the aims of issue 13 are read from, so its
 * arithmetic must be right without running a benchmark: the ratio to the
 * ceiling, the verdict on each aim (and no verdict where none can be given:
 * no value, no aim, or an aim judged only at full size), the text and
 * Markdown tables, the rows built from the benches' results, the results
 * file's name and shape, and the report lines read from bench:reports.
 */
import t from 'tap'
import { AIMS, BASELINE, buildMeasures } from '../../bench/rows.ts'
import { parseReportLines, slowest } from '../../bench/run-reports.ts'
import {
  buildResults,
  evaluate,
  formatMarkdownTable,
  formatTextTable,
  formatValue,
  type Machine,
  type Measure,
  ratioOf,
  resultsFileName,
  resultsJson,
  shortNote,
} from '../../bench/table.ts'

const ingestLike: Measure = {
  id: 'ingest.tapsPerSecond',
  label: 'ingest',
  value: 65_000,
  unit: 'taps/s',
  ceiling: { name: 'Kafka ProducerPerformance', value: 250_000, unit: 'records/s' },
  aims: [
    { on: 'value', op: '>=', bound: 20_000 },
    { on: 'ratio', op: '>=', bound: 0.26, source: 'today' },
  ],
}

t.test('the ratio is value over ceiling, and absent without either', async (t) => {
  t.equal(ratioOf(65_000, { name: 'k', value: 250_000, unit: 'r/s' }), 0.26)
  t.equal(ratioOf(null, { name: 'k', value: 250_000, unit: 'r/s' }), null)
  t.equal(ratioOf(1, undefined), null)
  t.equal(ratioOf(1, { name: 'k', value: 0, unit: 'r/s' }), null, 'a ceiling of 0 (a failed ceiling run) gives no ratio')
  t.equal(ratioOf(Number.NaN, { name: 'k', value: 1, unit: 'r/s' }), null)
})

t.test('an aim is met only when every criterion holds', async (t) => {
  t.equal(evaluate(ingestLike, { fullSize: true }).met, true, 'exactly at the ratio bound is met')
  t.equal(evaluate({ ...ingestLike, value: 64_999 }, { fullSize: true }).met, false, 'just under 26% of the ceiling')
  t.equal(evaluate({ ...ingestLike, value: 19_000, ceiling: { name: 'k', value: 20_000, unit: 'r/s' } }, { fullSize: true }).met, false)
  const p99 = { id: 'p99', label: 'p99', value: 249, unit: 'ms', aims: [{ on: 'value' as const, op: '<' as const, bound: 250 }] }
  t.equal(evaluate(p99, { fullSize: true }).met, true)
  t.equal(evaluate({ ...p99, value: 250 }, { fullSize: true }).met, false, '< is strict')
  const zero = { id: 'lost', label: 'lost', value: 0, unit: '', aims: [{ on: 'value' as const, op: '=' as const, bound: 0 }] }
  t.equal(evaluate(zero, { fullSize: false }).met, true)
  t.equal(evaluate({ ...zero, value: 1 }, { fullSize: false }).met, false)
})

t.test('no verdict without a value, an aim, or at a size the aim is not for; a ratio aim without a ceiling fails', async (t) => {
  t.equal(evaluate({ ...ingestLike, value: null, note: 'failed' }, { fullSize: true }).met, null)
  t.equal(evaluate({ id: 'x', label: 'x', value: 3, unit: 'ms' }, { fullSize: true }).met, null)
  const replay = { id: 'r', label: 'r', value: 400, unit: 's', aims: [{ on: 'value' as const, op: '<' as const, bound: 300, fullSizeOnly: true }] }
  const quick = evaluate(replay, { fullSize: false })
  t.equal(quick.met, null)
  t.match(quick.aimText, /full size only/)
  t.equal(evaluate(replay, { fullSize: true }).met, false)
  const { ceiling: _, ...noCeiling } = ingestLike
  t.equal(evaluate(noCeiling, { fullSize: true }).met, false, 'the ratio criterion cannot hold without a ceiling')
})

t.test('the aim text names the bound, its unit and its source', async (t) => {
  t.equal(evaluate(ingestLike, { fullSize: true }).aimText, '≥ 20,000 taps/s; ≥ 26.0% of ceiling (today)')
  t.equal(evaluate({ id: 'x', label: 'x', value: 1, unit: 'ms' }, { fullSize: true }).aimText, '-')
  t.equal(formatValue(12.345, 's'), '12.3 s')
  t.equal(formatValue(1234.6, 'ms'), '1,235 ms')
  t.equal(formatValue(0, ''), '0')
  t.equal(formatValue(null, 'ms'), '-')
})

t.test('the text and Markdown tables have one line per row and every column', async (t) => {
  const rows = [
    evaluate(ingestLike, { fullSize: true }),
    evaluate({ id: 'failed', label: 'ledger | 1 operator', value: null, unit: 'taps/s', note: 'failed: boom' }, { fullSize: true }),
  ]
  const text = formatTextTable(rows).split('\n')
  t.equal(text.length, 4, 'header, rule, two rows')
  t.match(text[0], /^measure\s+value\s+ceiling\s+ratio\s+aim\s+met\?$/)
  t.match(text[2], /65,000 taps\/s\s+250,000 records\/s \(Kafka ProducerPerformance\)\s+26\.0%.*yes$/)
  t.match(text[3], /- \(failed: boom\)/)
  t.equal(shortNote('first line\nCaused by: more'), 'first line', 'a cell holds the first line of a reason')
  t.equal(shortNote('x'.repeat(80)).length, 60)
  t.equal(new Set(text.slice(0, 2).map((l) => l.length)).size, 1, 'the rule is as wide as the header')
  const md = formatMarkdownTable(rows).split('\n')
  t.equal(md.length, 4)
  t.equal(md[0], '| measure | value | ceiling | ratio | aim | met? |')
  t.match(md[3], /^\| ledger \\\| 1 operator \| /, 'a pipe inside a cell is escaped')
  for (const line of md) t.equal(line.split(/(?<!\\)\|/).length, 8, 'six cells on every line')
})

t.test('rows from the benches: ratios to the same run ceilings, aims from issue 13 and today', async (t) => {
  const ok = (name: string, result: unknown) => ({ name, status: 'ok' as const, seconds: 1, result })
  const measures = buildMeasures({
    fares: ok('fares', { demo: { tapsPerSecond: 300_000 }, zone: { tapsPerSecond: 450_000 } }),
    ingest: ok('ingest', { tapsPerSecond: 70_000, requestsPerSecond: 1400, latencyMs: { p50: 20, p99: 60 }, ceiling: { recordsPerSecond: 250_000 } }),
    fastify: ok('fastify', { requestsPerSecond: 14_000 }),
    ledger: { name: 'ledger', status: 'failed', seconds: 3, reason: 'killed after its limit of 30 minutes' },
    latency: ok('latency', { peakTapsPerSecond: 8000, rate: 4000, latencyMs: { p50: 90, p99: 240, max: 300 } }),
    reports: { name: 'reports', status: 'skipped', seconds: 0, reason: 'month database not built' },
    replay: ok('replay', {
      taps: 900_000,
      validators: 300,
      settleSeconds: 280,
      settledTapsPerSecond: 3214,
      lost: 0,
      doubled: 0,
      check: { ran: true, violations: [] },
    }),
  })
  const rows = new Map(measures.map((m) => [m.id, evaluate(m, { fullSize: true })]))
  t.equal(rows.get('fares.demo.tapsPerSecond')?.met, false, `under today's ${BASELINE.faresDemoTapsPerSecond}`)
  t.equal(rows.get('fares.zone.tapsPerSecond')?.met, true)
  t.equal(rows.get('ingest.tapsPerSecond')?.ratio, 0.28)
  t.equal(rows.get('ingest.tapsPerSecond')?.met, true)
  t.equal(rows.get('ingest.requestsPerSecond')?.ratio, 0.1, 'ingest requests/s over the Fastify hello world')
  t.equal(rows.get('ledger.oneOperator.tapsPerSecond')?.value, null)
  t.match(rows.get('ledger.oneOperator.tapsPerSecond')?.note, /failed: killed/)
  t.equal(rows.get('latency.p99Ms')?.met, true, `240 ms < ${AIMS.latencyP99Ms}`)
  t.match(rows.get('latency.p99Ms')?.label, /at 4,000 taps\/s/)
  t.match(rows.get('reports.admin.p95Ms')?.note, /skipped: month database not built/)
  t.equal(rows.get('replay.settleSeconds')?.met, true)
  t.equal(rows.get('replay.lost')?.met, true)
  t.equal(rows.get('replay.checkViolations')?.met, true)
  t.ok(
    measures.every((m) => m.id && m.label && m.unit !== undefined),
    'every row has an id, a label and a unit',
  )
})

t.test('a small replay or a small month is not judged against the full-size aims', async (t) => {
  const measures = buildMeasures({
    replay: {
      name: 'replay',
      status: 'ok',
      seconds: 1,
      result: { taps: 3000, validators: 30, settleSeconds: 400, settledTapsPerSecond: 7, lost: 0, doubled: 0, check: { ran: false, violations: [] } },
    },
    reports: {
      name: 'reports',
      status: 'ok',
      seconds: 1,
      result: { mode: 'small', slowestAdmin: { label: 'ridership', role: 'admin', p50Ms: 900, p95Ms: 1500, runs: 3 }, slowestOperator: null },
    },
  })
  const rows = new Map(measures.map((m) => [m.id, evaluate(m, { fullSize: true })]))
  t.equal(rows.get('replay.settleSeconds')?.met, null)
  t.equal(rows.get('reports.admin.p95Ms')?.met, null)
  t.match(rows.get('reports.admin.p95Ms')?.label, /small month: ridership/)
  t.equal(rows.has('replay.checkViolations'), false, 'no check row when ledger:check did not run')
})

t.test('the results file: named by its UTC start, JSON without NaN, the machine and every row', async (t) => {
  const start = new Date('2026-12-02T15:04:05.678Z')
  t.equal(resultsFileName(start, false), '2026-12-02T15-04-05Z.json')
  t.equal(resultsFileName(start, true), '2026-12-02T15-04-05Z-quick.json')
  const machine: Machine = {
    cpuModel: 'AMD EPYC',
    cores: 2,
    totalMemoryMiB: 24_105,
    platform: 'linux x64',
    node: 'v20.20.2',
    gitCommit: '9bac022',
    gitDirty: false,
    loadAverageStart: [1, 2, 3],
    loadAverageEnd: [4, 5, 6],
  }
  const results = buildResults({
    startedAt: start.toISOString(),
    finishedAt: '2026-12-02T15:06:05.678Z',
    quick: true,
    knobs: { BENCH_QUICK: '1' },
    machine,
    rows: [evaluate(ingestLike, { fullSize: false })],
    benches: [{ name: 'replay', status: 'ok', seconds: 2, result: { settleSeconds: Number.NaN } }],
  })
  t.equal(results.schema, 'fare-bench-results/1')
  t.equal(results.seconds, 120)
  const parsed = JSON.parse(resultsJson(results))
  t.same(Object.keys(parsed).sort(), ['benches', 'finishedAt', 'knobs', 'machine', 'quick', 'rows', 'schema', 'seconds', 'startedAt'])
  t.same(Object.keys(parsed.machine).sort(), [
    'cores',
    'cpuModel',
    'gitCommit',
    'gitDirty',
    'loadAverageEnd',
    'loadAverageStart',
    'node',
    'platform',
    'totalMemoryMiB',
  ])
  t.same(parsed.rows[0], { ...ingestLike, ratio: 0.26, met: true, aimText: '≥ 20,000 taps/s; ≥ 26.0% of ceiling (today)' })
  t.equal(parsed.benches[0].result.settleSeconds, null, 'NaN is written as null')
})

t.test("bench:reports' lines are read back, errors kept apart, the slowest p95 found per role", async (t) => {
  const output = [
    'month 2026-11-01 to 2026-11-03 (exclusive) in fare_bench_reports_x: 4000 taps',
    'ridership groupBy=day              admin    p50 120 ms, p95 180 ms over 3 runs (12 KiB); slowest statement 100 ms',
    'ridership groupBy=day              operator p50 20 ms, p95 25 ms over 3 runs (2 KiB); slowest statement 10 ms',
    'revenue groupBy=route              admin    p50 300 ms, p95 1200 ms over 3 runs (5 KiB); slowest statement 900 ms  <-- over 1 s',
    'operator-statement                 operator 403 {"code":"FORBIDDEN"}',
    'TIDES fare_transactions admin run 1: 4000 rows in 0.5 s',
  ].join('\n')
  const { reports, errors } = parseReportLines(output)
  t.equal(reports.length, 3)
  t.same(reports[0], { label: 'ridership groupBy=day', role: 'admin', p50Ms: 120, p95Ms: 180, runs: 3 })
  t.same(errors, ['operator-statement                 operator 403 {"code":"FORBIDDEN"}'])
  t.equal(slowest(reports, 'admin')?.label, 'revenue groupBy=route')
  t.equal(slowest(reports, 'operator')?.p95Ms, 25)
  t.equal(slowest([], 'admin'), null)
})
