/**
 * The pure part of `pnpm bench`: a measure's ratio to its ceiling, whether it
 * meets its aims, the one table (as text for the console and as Markdown for
 * docs/benchmarks.md) and the shape of bench/results/<date>.json. No IO here,
 * so test/bench/table.test.ts checks it without running a benchmark.
 */

/** One condition of an aim, on the measure's value or on its ratio to the ceiling. */
export interface Criterion {
  readonly on: 'value' | 'ratio'
  readonly op: '>=' | '<' | '<=' | '='
  readonly bound: number
  /** Where the bound comes from, shown beside it: "today", "issue 13". */
  readonly source?: string
  /** Judged only on a full-size run: a small run's figure says nothing about it (warm-up, a smaller month). */
  readonly fullSizeOnly?: boolean
}

export interface Ceiling {
  /** What the ceiling is: "Kafka ProducerPerformance". */
  readonly name: string
  readonly value: number
  readonly unit: string
}

/** What a bench measured, before the ratio and the aims are worked out. */
export interface Measure {
  /** Stable key for the JSON ("ingest.tapsPerSecond"). */
  readonly id: string
  readonly label: string
  /** null: not measured (the bench failed or was skipped; `note` says why). */
  readonly value: number | null
  readonly unit: string
  readonly ceiling?: Ceiling
  readonly aims?: readonly Criterion[]
  readonly note?: string
}

export interface Row extends Measure {
  /** value / ceiling; null without a ceiling or a value. */
  readonly ratio: number | null
  /** true / false when judged; null when there is no aim, no value, or the aim is for a full-size run only. */
  readonly met: boolean | null
  readonly aimText: string
}

export function ratioOf(value: number | null, ceiling: Ceiling | undefined): number | null {
  if (value === null || ceiling === undefined || !Number.isFinite(value) || !(ceiling.value > 0)) return null
  return value / ceiling.value
}

function holds(criterion: Criterion, subject: number): boolean {
  switch (criterion.op) {
    case '>=':
      return subject >= criterion.bound
    case '<':
      return subject < criterion.bound
    case '<=':
      return subject <= criterion.bound
    case '=':
      return subject === criterion.bound
    default: {
      const unknown: never = criterion.op
      throw new Error(`unknown comparison ${String(unknown)}`)
    }
  }
}

/** The measure's ratio and verdict: every judged criterion must hold; an unjudgeable one (no ratio) fails it. */
export function evaluate(measure: Measure, options: { fullSize: boolean }): Row {
  const ratio = ratioOf(measure.value, measure.ceiling)
  const aims = measure.aims ?? []
  const judged = aims.filter((c) => options.fullSize || !c.fullSizeOnly)
  let met: boolean | null = null
  if (measure.value !== null && Number.isFinite(measure.value) && judged.length > 0) {
    met = judged.every((c) => {
      const subject = c.on === 'value' ? measure.value : ratio
      return subject !== null && holds(c, subject)
    })
  }
  const aimText = aims.map((c) => criterionText(c, measure.unit, options.fullSize)).join('; ')
  return { ...measure, ratio, met, aimText: aimText || '-' }
}

function criterionText(c: Criterion, unit: string, fullSize: boolean): string {
  const op = { '>=': '≥', '<': '<', '<=': '≤', '=': '=' }[c.op]
  const bound = c.on === 'ratio' ? `${formatPercent(c.bound)} of ceiling` : formatValue(c.bound, unit)
  const notes = [c.source, c.fullSizeOnly && !fullSize ? 'full size only' : undefined].filter(Boolean)
  return `${op} ${bound}${notes.length ? ` (${notes.join(', ')})` : ''}`
}

export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`
}

/** A figure with its unit: whole numbers with thousands separators; milliseconds whole, seconds to a tenth. */
export function formatValue(value: number | null, unit: string): string {
  if (value === null || !Number.isFinite(value)) return '-'
  if (unit === 's') return `${value.toFixed(1)} s`
  const whole = Math.round(value).toLocaleString('en-US')
  return unit === '' ? whole : `${whole} ${unit}`
}

/** A note fit for a table cell: its first line, at most 60 characters (the whole reason is in the results file). */
export function shortNote(note: string): string {
  const line = (note.split('\n')[0] ?? '').trim()
  return line.length > 60 ? `${line.slice(0, 59)}…` : line
}

function cells(row: Row): string[] {
  const ceiling = row.ceiling ? `${formatValue(row.ceiling.value, row.ceiling.unit)} (${row.ceiling.name})` : '-'
  const met = row.met === null ? '-' : row.met ? 'yes' : 'NO'
  const value = row.value === null ? `- (${shortNote(row.note ?? 'not measured')})` : formatValue(row.value, row.unit)
  return [row.label, value, ceiling, row.ratio === null ? '-' : formatPercent(row.ratio), row.aimText, met]
}

export const TABLE_HEADER = ['measure', 'value', 'ceiling', 'ratio', 'aim', 'met?'] as const

/** The table for the console: columns padded, numbers right-aligned. */
export function formatTextTable(rows: readonly Row[]): string {
  const lines = [[...TABLE_HEADER], ...rows.map(cells)]
  const widths = TABLE_HEADER.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)))
  const right = new Set([1, 3])
  const render = (l: readonly string[]) =>
    l
      .map((cell, i) => (right.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [render(lines[0] ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.slice(1).map(render)].join('\n')
}

/** The same table in Markdown (pipes in a cell escaped). */
export function formatMarkdownTable(rows: readonly Row[]): string {
  const escapePipes = (cell: string) => cell.replaceAll('|', '\\|')
  return [
    `| ${TABLE_HEADER.join(' | ')} |`,
    `| ${TABLE_HEADER.map((_, i) => (i === 1 || i === 3 ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((r) => `| ${cells(r).map(escapePipes).join(' | ')} |`),
  ].join('\n')
}

export interface Machine {
  readonly cpuModel: string
  readonly cores: number
  readonly totalMemoryMiB: number
  readonly platform: string
  readonly node: string
  readonly gitCommit: string | null
  /** Uncommitted changes in the working tree when the run started. */
  readonly gitDirty: boolean | null
  readonly loadAverageStart: readonly [number, number, number]
  readonly loadAverageEnd: readonly [number, number, number]
}

export interface BenchOutcome {
  readonly name: string
  readonly status: 'ok' | 'failed' | 'skipped'
  readonly seconds: number
  /** Why it failed or was skipped. */
  readonly reason?: string
  /** The bench function's own result object. */
  readonly result?: unknown
}

/** bench/results/<date>.json. */
export interface BenchResults {
  readonly schema: 'fare-bench-results/1'
  readonly startedAt: string
  readonly finishedAt: string
  readonly seconds: number
  readonly quick: boolean
  readonly knobs: Readonly<Record<string, string>>
  readonly machine: Machine
  readonly rows: readonly Row[]
  readonly benches: readonly BenchOutcome[]
}

export function buildResults(input: Omit<BenchResults, 'schema' | 'seconds'>): BenchResults {
  const seconds = (Date.parse(input.finishedAt) - Date.parse(input.startedAt)) / 1000
  return { schema: 'fare-bench-results/1', ...input, seconds }
}

/** The results file's name: its start time in UTC, sortable and safe in any file system; a quick run says so. */
export function resultsFileName(startedAt: Date, quick: boolean): string {
  const stamp = startedAt
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll(':', '-')
  return `${stamp}${quick ? '-quick' : ''}.json`
}

/** JSON has no NaN or Infinity: they are written as null. */
export function resultsJson(results: BenchResults): string {
  return `${JSON.stringify(results, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`
}
