/**
 * `pnpm bench`'s part of `pnpm bench:reports` (bench/reports.bench.ts, which
 * stays a script of its own): decides whether to run it, runs it as a child
 * process with the sizes asked for, and reads each report's p50 / p95 from
 * its output lines.
 *
 * A Lutsk-sized month takes hours to settle on 2 cores, so `pnpm bench` does
 * not build it: mode `month` measures the month only if its database is
 * already there and complete (built by `pnpm bench:reports`), and is skipped,
 * saying so, otherwise. Mode `small` builds (once, kept) and measures a small
 * month, whose figures say nothing of the aim. Mode `skip` does neither.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { withDatabase } from '@fare/db'
import { TEST_SERVER_URL } from '@fare/db/testing'
import pg from 'pg'
import { type MonthParameters, monthDatabaseName } from './reports/settled-month.ts'

const HERE = path.dirname(fileURLToPath(import.meta.url))

export type ReportsMode = 'month' | 'small' | 'skip'

/**
 * The month `pnpm bench:reports` measures by default (its knobs' defaults), but for BENCH_LEDGER_DAYS: the month
 * built with `BENCH_LEDGER_DAYS=3 pnpm bench:reports` (3 days settled, 27 copies; about 15 minutes instead of 40 on
 * 2 cores) is found by `BENCH_LEDGER_DAYS=3 pnpm bench`.
 */
export const FULL_MONTH: MonthParameters = {
  days: 30,
  ledgerDays: Math.min(30, Number(process.env.BENCH_LEDGER_DAYS ?? 30)),
  tapsPerDay: 150_000,
  cards: 150_000,
  batch: 2000,
}
/** A month small enough to settle in seconds; its figures are no measure of the aim. */
export const SMALL_MONTH: MonthParameters = { days: 2, ledgerDays: 2, tapsPerDay: 2000, cards: 1000, batch: 2000 }

export interface ReportTiming {
  readonly label: string
  readonly role: 'admin' | 'operator'
  readonly p50Ms: number
  readonly p95Ms: number
  readonly runs: number
}

export interface ReportsResult {
  readonly mode: 'month' | 'small'
  readonly month: MonthParameters
  readonly database: string
  readonly reports: readonly ReportTiming[]
  /** Lines for reports that answered an error instead. */
  readonly errors: readonly string[]
  readonly slowestAdmin: ReportTiming | null
  readonly slowestOperator: ReportTiming | null
}

/** Reads the report lines of bench:reports' output ("<label> <role> p50 X ms, p95 Y ms over N runs ..."). */
export function parseReportLines(output: string): { reports: ReportTiming[]; errors: string[] } {
  const reports: ReportTiming[] = []
  const errors: string[] = []
  for (const line of output.split('\n')) {
    const timed = /^(\S.*?)\s+(admin|operator)\s+p50 (\d+) ms, p95 (\d+) ms over (\d+) runs/.exec(line)
    if (timed) {
      reports.push({
        label: timed[1] as string,
        role: timed[2] as 'admin' | 'operator',
        p50Ms: Number(timed[3]),
        p95Ms: Number(timed[4]),
        runs: Number(timed[5]),
      })
      continue
    }
    if (/^\S.*?\s+(admin|operator)\s+\d{3} /.test(line)) errors.push(line.trim())
  }
  return { reports, errors }
}

export function slowest(reports: readonly ReportTiming[], role: 'admin' | 'operator'): ReportTiming | null {
  return reports.filter((r) => r.role === role).reduce<ReportTiming | null>((a, r) => (a === null || r.p95Ms > a.p95Ms ? r : a), null)
}

/** Whether the month's database is there and was completed (its comment says so; settled-month.ts writes it last). */
export async function monthIsThere(month: MonthParameters): Promise<{ name: string; complete: boolean }> {
  const name = monthDatabaseName(month)
  const client = new pg.Client({ connectionString: withDatabase(TEST_SERVER_URL, 'postgres') })
  await client.connect()
  try {
    const row = await client.query<{ comment: string | null }>("select shobj_description(oid, 'pg_database') as comment from pg_database where datname = $1", [
      name,
    ])
    const comment = row.rows[0]?.comment ?? ''
    return { name, complete: comment.startsWith('{') && (JSON.parse(comment) as { complete?: boolean }).complete === true }
  } finally {
    await client.end()
  }
}

/** Runs bench:reports on `month` (built first if it is not there) and returns its timings. */
export async function runReportsBench(options: { mode: 'month' | 'small'; runs?: number | undefined }): Promise<ReportsResult> {
  const month = options.mode === 'month' ? FULL_MONTH : SMALL_MONTH
  const { name } = await monthIsThere(month)
  const env = {
    ...process.env,
    BENCH_DAYS: String(month.days),
    BENCH_LEDGER_DAYS: String(month.ledgerDays),
    BENCH_TAPS_PER_DAY: String(month.tapsPerDay),
    BENCH_CARDS: String(month.cards),
    BENCH_BATCH: String(month.batch),
    BENCH_RUNS: String(options.runs ?? (options.mode === 'month' ? 10 : 3)),
    BENCH_TIDES_RUNS: '1',
    BENCH_WRITE_DOC: '0',
  }
  const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', path.join(HERE, 'reports.bench.ts')], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk)
    output += chunk.toString()
  })
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
  if (code !== 0) throw new Error(`bench:reports exited with ${code}`)
  const { reports, errors } = parseReportLines(output)
  if (reports.length === 0) throw new Error('bench:reports printed no report timings')
  return { mode: options.mode, month, database: name, reports, errors, slowestAdmin: slowest(reports, 'admin'), slowestOperator: slowest(reports, 'operator') }
}
