/**
 * The rows of `pnpm bench`'s table, from what each bench returned, with the
 * aims of issue 13: tap-to-balance p99 under 250 ms at half of the sustained
 * peak; 0.9 million replayed taps settled in under 5 minutes; ingest, ledger
 * and fare engine no slower than "today" (BASELINE, the figures in
 * docs/benchmarks.md when the table was made; ratios to the ceilings of the
 * same run where there is a ceiling). Pure: no IO, tested in test/bench.
 */
import type { FaresResult } from './fares.bench.ts'
import type { FastifyResult } from './fastify.bench.ts'
import type { IngestResult } from './ingest.bench.ts'
import type { LedgerResult } from './ledger.bench.ts'
import type { ReplayResult } from './replay.bench.ts'
import type { ReportsResult } from './run-reports.ts'
import type { BenchOutcome, Criterion, Measure } from './table.ts'
import type { LatencyResult } from './tap-to-balance.bench.ts'

/**
 * "Today's figures", docs/benchmarks.md at commit 9bac022 (2 December 2026): fare engine 2026-11-28
 * (100,000 cards, Intel Xeon, load 3), ingest's latest run 2026-12-02 08:42 (ratio to ProducerPerformance),
 * the ledger's latest run 2026-11-28 19:31 (medians of 3 rounds, ratio to the raw INSERT).
 */
export const BASELINE = {
  faresDemoTapsPerSecond: 316_591,
  faresZoneTapsPerSecond: 437_721,
  ingestRatio: 0.26,
  ledgerOneOperatorRatio: 0.364,
  ledgerTwentyOperatorsRatio: 0.371,
} as const

export const AIMS = {
  /** Issue 13. */
  latencyP99Ms: 250,
  replaySeconds: 300,
  replayTaps: 900_000,
  /** bench:reports: every report of a month within a second. */
  reportP95Ms: 1000,
  /** docs/benchmarks.md: the standing minimums. */
  ingestTapsPerSecond: 20_000,
  ledgerTapsPerSecond: 3000,
} as const

export interface Outcomes {
  readonly fares?: BenchOutcome
  readonly ingest?: BenchOutcome
  readonly ledger?: BenchOutcome
  readonly fastify?: BenchOutcome
  readonly latency?: BenchOutcome
  readonly reports?: BenchOutcome
  readonly replay?: BenchOutcome
}

const today = (bound: number, on: Criterion['on'] = 'value'): Criterion => ({ on, op: '>=', bound, source: 'today' })

/** The outcome's result when it ran, else the note every row of that bench carries. */
function take<T>(outcome: BenchOutcome | undefined): { result: T | undefined; note: string } {
  if (outcome === undefined) return { result: undefined, note: 'not run' }
  if (outcome.status === 'ok') return { result: outcome.result as T, note: '' }
  return { result: undefined, note: `${outcome.status}${outcome.reason ? `: ${outcome.reason}` : ''}` }
}

function row(id: string, label: string, value: number | null | undefined, unit: string, note: string, extra: Partial<Measure> = {}): Measure {
  const measured = value === undefined || value === null || Number.isNaN(value) ? null : value
  return { id, label, value: measured, unit, ...(measured === null ? { note: note || 'not measured' } : {}), ...extra }
}

export function buildMeasures(outcomes: Outcomes): Measure[] {
  const rows: Measure[] = []

  const fares = take<FaresResult>(outcomes.fares)
  rows.push(
    row('fares.demo.tapsPerSecond', 'fare engine, demo tariff: taps/s per core', fares.result?.demo.tapsPerSecond, 'taps/s', fares.note, {
      aims: [{ ...today(BASELINE.faresDemoTapsPerSecond), fullSizeOnly: true }],
    }),
    row('fares.zone.tapsPerSecond', 'fare engine, zone tariff: taps/s per core', fares.result?.zone.tapsPerSecond, 'taps/s', fares.note, {
      aims: [{ ...today(BASELINE.faresZoneTapsPerSecond), fullSizeOnly: true }],
    }),
  )

  const ingest = take<IngestResult>(outcomes.ingest)
  const fastify = take<FastifyResult>(outcomes.fastify)
  rows.push(
    row('ingest.tapsPerSecond', 'ingest: taps accepted/s (HTTPS, batches of 50)', ingest.result?.tapsPerSecond, 'taps/s', ingest.note, {
      ...(ingest.result ? { ceiling: { name: 'Kafka ProducerPerformance', value: ingest.result.ceiling.recordsPerSecond, unit: 'records/s' } } : {}),
      aims: [
        { on: 'value', op: '>=', bound: AIMS.ingestTapsPerSecond },
        { on: 'ratio', op: '>=', bound: BASELINE.ingestRatio, source: 'today' },
      ],
    }),
    row('ingest.p99Ms', 'ingest: request p99 (batch of 50)', ingest.result?.latencyMs.p99, 'ms', ingest.note),
    row('ingest.requestsPerSecond', 'ingest: requests/s', ingest.result?.requestsPerSecond, 'req/s', ingest.note || fastify.note, {
      ...(fastify.result ? { ceiling: { name: 'Fastify hello world', value: fastify.result.requestsPerSecond, unit: 'req/s' } } : {}),
    }),
  )

  const ledger = take<LedgerResult>(outcomes.ledger)
  const ledgerCeiling = ledger.result ? { name: 'raw Postgres INSERT', value: ledger.result.median.ceilingRowsPerSecond, unit: 'rows/s' } : undefined
  rows.push(
    row('ledger.oneOperator.tapsPerSecond', 'ledger: settled taps/s, 1 operator', ledger.result?.median.oneOperatorTapsPerSecond, 'taps/s', ledger.note, {
      ...(ledgerCeiling ? { ceiling: ledgerCeiling } : {}),
      aims: [
        { on: 'value', op: '>=', bound: AIMS.ledgerTapsPerSecond },
        { on: 'ratio', op: '>=', bound: BASELINE.ledgerOneOperatorRatio, source: 'today' },
      ],
    }),
    row(
      'ledger.twentyOperators.tapsPerSecond',
      'ledger: settled taps/s, 20 operators',
      ledger.result?.median.twentyOperatorsTapsPerSecond,
      'taps/s',
      ledger.note,
      {
        ...(ledgerCeiling ? { ceiling: ledgerCeiling } : {}),
        aims: [
          { on: 'value', op: '>=', bound: AIMS.ledgerTapsPerSecond },
          { on: 'ratio', op: '>=', bound: BASELINE.ledgerTwentyOperatorsRatio, source: 'today' },
        ],
      },
    ),
  )

  const latency = take<LatencyResult>(outcomes.latency)
  const at = latency.result ? ` at ${latency.result.rate.toLocaleString('en-US')} taps/s` : ''
  rows.push(
    row('latency.peakTapsPerSecond', 'pipeline: sustained peak, settled taps/s', latency.result?.peakTapsPerSecond, 'taps/s', latency.note),
    row('latency.p50Ms', `tap-to-balance p50${at} (half the peak)`, latency.result?.latencyMs.p50, 'ms', latency.note),
    row('latency.p99Ms', `tap-to-balance p99${at} (half the peak)`, latency.result?.latencyMs.p99, 'ms', latency.note, {
      aims: [{ on: 'value', op: '<', bound: AIMS.latencyP99Ms, source: 'issue 13' }],
    }),
  )

  const reports = take<ReportsResult>(outcomes.reports)
  const small = reports.result?.mode === 'small'
  const monthAim: Criterion[] = small ? [] : [{ on: 'value', op: '<', bound: AIMS.reportP95Ms }]
  const which = (r: ReportsResult['slowestAdmin'] | undefined) => (r ? `: ${r.label}` : '')
  const size = small ? 'small month' : 'month'
  rows.push(
    row(
      'reports.admin.p95Ms',
      `reports p95, slowest, admin (${size}${which(reports.result?.slowestAdmin)})`,
      reports.result?.slowestAdmin?.p95Ms,
      'ms',
      reports.note,
      {
        aims: monthAim,
      },
    ),
    row(
      'reports.operator.p95Ms',
      `reports p95, slowest, operator (${size}${which(reports.result?.slowestOperator)})`,
      reports.result?.slowestOperator?.p95Ms,
      'ms',
      reports.note,
      { aims: monthAim },
    ),
  )

  const replay = take<ReplayResult>(outcomes.replay)
  const taps = replay.result ? `${replay.result.taps.toLocaleString('en-US')} taps` : 'taps'
  const fullReplay = replay.result === undefined || replay.result.taps === AIMS.replayTaps
  rows.push(
    row(
      'replay.settleSeconds',
      `replay: ${taps} from ${replay.result?.validators ?? '?'} validators, time to settled`,
      replay.result?.settleSeconds,
      's',
      replay.note,
      {
        aims: fullReplay ? [{ on: 'value', op: '<', bound: AIMS.replaySeconds, source: 'issue 13', fullSizeOnly: true }] : [],
      },
    ),
    row('replay.settledTapsPerSecond', 'replay: settled taps/s', replay.result?.settledTapsPerSecond, 'taps/s', replay.note),
    row('replay.lost', 'replay: taps lost', replay.result?.lost, '', replay.note, { aims: [{ on: 'value', op: '=', bound: 0 }] }),
    row('replay.doubled', 'replay: taps doubled', replay.result?.doubled, '', replay.note, { aims: [{ on: 'value', op: '=', bound: 0 }] }),
  )
  if (replay.result?.check.ran)
    rows.push(
      row('replay.checkViolations', 'replay: ledger:check violations', replay.result.check.violations.length, '', '', {
        aims: [{ on: 'value', op: '=', bound: 0 }],
      }),
    )
  return rows
}
