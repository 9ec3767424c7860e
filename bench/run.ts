/**
 * `pnpm bench`: every benchmark in one run, in sequence, then ONE table
 * (measure, value, ceiling, ratio, aim, met?), bench/results/<UTC start>.json
 * (the table's rows, each bench's own result, the machine, the knobs) and the
 * table's block at the top of docs/benchmarks.md. docs/benchmarks.md, "pnpm
 * bench", says what each row is.
 *
 * Order: fares; ingest with its Kafka ceiling; ledger with its raw-insert
 * ceiling; the Fastify hello world ceiling; tap-to-balance latency at half of
 * the sustained peak it measures first; reports p95; replay. Each bench runs
 * in a child process of its own (bench/run-one.ts, its own process group),
 * so one that fails or hangs past its time limit is killed, marked in the
 * table, and the run goes on.
 *
 * Knobs:
 *   BENCH_QUICK=1      every bench small (a couple of minutes in all): checks the run, not the aims
 *   BENCH_ONLY=a,b     only these benches (fares, ingest, ledger, fastify, latency, reports, replay)
 *   BENCH_SKIP=a,b     all but these
 *   BENCH_REPORTS      month (default; skipped, saying so, when the month's database is not built) | small (default with
 *                      BENCH_QUICK) | skip
 *   BENCH_WRITE_DOC=0  no block in docs/benchmarks.md (the results file is always written)
 *   BENCH_RESULTS_DIR  where the results file goes (bench/results)
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeLatestRun } from './latest-run.ts'
import { buildMeasures, type Outcomes } from './rows.ts'
import { FULL_MONTH, monthIsThere, type ReportsMode } from './run-reports.ts'
import { type BenchOutcome, buildResults, evaluate, formatMarkdownTable, formatTextTable, type Machine, resultsFileName, resultsJson } from './table.ts'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(HERE, '..')
const QUICK = process.env.BENCH_QUICK === '1'
const NAMES = ['fares', 'ingest', 'ledger', 'fastify', 'latency', 'reports', 'replay'] as const
type Name = (typeof NAMES)[number]

interface Step {
  readonly name: Name
  readonly options: Record<string, unknown>
  /** Killed (with its process group) after this long. */
  readonly limitMinutes: number
}

/** What each bench is asked to do: full size by default, small with BENCH_QUICK=1. */
function plan(reportsMode: ReportsMode): Step[] {
  const full: Record<Name, Step> = {
    fares: { name: 'fares', options: { cards: 100_000 }, limitMinutes: 15 },
    ingest: { name: 'ingest', options: {}, limitMinutes: 10 },
    ledger: { name: 'ledger', options: {}, limitMinutes: 30 },
    fastify: { name: 'fastify', options: {}, limitMinutes: 5 },
    latency: { name: 'latency', options: {}, limitMinutes: 25 },
    reports: { name: 'reports', options: { mode: reportsMode }, limitMinutes: 120 },
    replay: { name: 'replay', options: { validators: 300, tapsPerValidator: 3000 }, limitMinutes: 45 },
  }
  const quick: Record<Name, Step> = {
    fares: { name: 'fares', options: { cards: 2000 }, limitMinutes: 5 },
    ingest: { name: 'ingest', options: { seconds: 5, ceilingRecords: 200_000 }, limitMinutes: 5 },
    ledger: { name: 'ledger', options: { taps: 3000, cards: 1000, rounds: 1, warmupTaps: 500 }, limitMinutes: 10 },
    fastify: { name: 'fastify', options: { seconds: 5 }, limitMinutes: 5 },
    latency: { name: 'latency', options: { peakSeconds: 5, seconds: 10 }, limitMinutes: 15 },
    reports: { name: 'reports', options: { mode: reportsMode, runs: 3 }, limitMinutes: 30 },
    replay: { name: 'replay', options: { validators: 30, tapsPerValidator: 100, timeoutSeconds: 600 }, limitMinutes: 15 },
  }
  const list = (knob: string | undefined): Name[] => {
    const names = (knob ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    for (const n of names) if (!(NAMES as readonly string[]).includes(n)) throw new Error(`unknown bench ${n}: one of ${NAMES.join(', ')}`)
    return names as Name[]
  }
  const only = list(process.env.BENCH_ONLY)
  const skip = list(process.env.BENCH_SKIP)
  return NAMES.filter((n) => (only.length === 0 || only.includes(n)) && !skip.includes(n)).map((n) => (QUICK ? quick : full)[n])
}

let current: number | undefined
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // Already gone.
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (current !== undefined) killGroup(current, 'SIGTERM')
    process.exit(130)
  })

/** Runs one bench in a child process (its own process group) and waits for its result or its time limit. */
function runStep(step: Step): Promise<BenchOutcome> {
  const started = performance.now()
  const seconds = () => (performance.now() - started) / 1000
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'run-one.ts'), step.name, JSON.stringify(step.options)], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
      detached: true,
    })
    current = child.pid
    let message: { result?: unknown; error?: string } | undefined
    child.on('message', (m) => {
      message = m as typeof message
    })
    const limit = setTimeout(() => {
      message = { error: `killed after its limit of ${step.limitMinutes} minutes` }
      if (child.pid !== undefined) {
        killGroup(child.pid, 'SIGTERM')
        setTimeout(() => child.pid !== undefined && killGroup(child.pid, 'SIGKILL'), 20_000).unref()
      }
    }, step.limitMinutes * 60_000)
    child.on('exit', (code, signal) => {
      clearTimeout(limit)
      // A bench's services and clients are its children: whatever it left behind goes with its group.
      if (child.pid !== undefined) killGroup(child.pid, 'SIGTERM')
      current = undefined
      if (message?.result !== undefined && code === 0) resolve({ name: step.name, status: 'ok', seconds: seconds(), result: message.result })
      else resolve({ name: step.name, status: 'failed', seconds: seconds(), reason: message?.error ?? `exited with ${signal ?? code}` })
    })
  })
}

function git(...args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return null
  }
}

const load = (): [number, number, number] => loadavg().map((x) => Math.round(x * 100) / 100) as [number, number, number]
const startedAt = new Date()
const loadAverageStart = load()
const commit = git('rev-parse', 'HEAD')
const status = git('status', '--porcelain')
const reportsMode: ReportsMode = (process.env.BENCH_REPORTS as ReportsMode | undefined) ?? (QUICK ? 'small' : 'month')
if (!['month', 'small', 'skip'].includes(reportsMode)) throw new Error(`BENCH_REPORTS must be month, small or skip, not ${reportsMode}`)
const steps = plan(reportsMode)
console.log(
  `pnpm bench${QUICK ? ' (BENCH_QUICK=1: small sizes; checks the run, not the aims)' : ''}: ${steps.map((s) => s.name).join(', ')}; ` +
    `${cpus().length} cores, load average ${loadAverageStart.join(' ')}, commit ${commit?.slice(0, 7) ?? 'unknown'}${status ? ' (uncommitted changes)' : ''}`,
)

const outcomes: Record<string, BenchOutcome> = {}
for (const step of steps) {
  if (step.name === 'reports') {
    if (reportsMode === 'skip') {
      outcomes.reports = { name: 'reports', status: 'skipped', seconds: 0, reason: 'BENCH_REPORTS=skip' }
      console.log('\n== reports: skipped (BENCH_REPORTS=skip)')
      continue
    }
    if (reportsMode === 'month') {
      const month = await monthIsThere(FULL_MONTH).catch((err: Error) => ({ name: `? (${err.message})`, complete: false }))
      if (!month.complete) {
        const reason = `month database ${month.name} not built; pnpm bench:reports builds it (hours), or BENCH_REPORTS=small`
        outcomes.reports = { name: 'reports', status: 'skipped', seconds: 0, reason }
        console.log(`\n== reports: SKIPPED: the month's database (${month.name}) is not there or not complete.`)
        console.log('   Build it once with `pnpm bench:reports` (hours on 2 cores; kept between runs), or measure a small month: BENCH_REPORTS=small.')
        continue
      }
    }
  }
  console.log(`\n== ${step.name} ${JSON.stringify(step.options)}`)
  const outcome = await runStep(step)
  outcomes[step.name] = outcome
  console.log(`== ${step.name}: ${outcome.status} in ${outcome.seconds.toFixed(0)} s${outcome.reason ? ` (${outcome.reason})` : ''}`)
}

const finishedAt = new Date()
const machine: Machine = {
  cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
  cores: cpus().length,
  totalMemoryMiB: Math.round(totalmem() / 1024 / 1024),
  platform: `${process.platform} ${process.arch}`,
  node: process.version,
  gitCommit: commit,
  gitDirty: status === null ? null : status !== '',
  loadAverageStart,
  loadAverageEnd: load(),
}
const rows = buildMeasures(outcomes as Outcomes).map((m) => evaluate(m, { fullSize: !QUICK }))
const knobs = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_') || k === 'INGEST_WORKERS')) as Record<string, string>
const results = buildResults({
  startedAt: startedAt.toISOString(),
  finishedAt: finishedAt.toISOString(),
  quick: QUICK,
  knobs,
  machine,
  rows,
  benches: steps.map((s) => outcomes[s.name] as BenchOutcome),
})
const resultsDir = process.env.BENCH_RESULTS_DIR ?? path.join(HERE, 'results')
mkdirSync(resultsDir, { recursive: true })
const resultsFile = path.join(resultsDir, resultsFileName(startedAt, QUICK))
writeFileSync(resultsFile, resultsJson(results))

const when = `${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`
const minutes = (results.seconds / 60).toFixed(0)
const setting =
  `${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}, ` +
  `commit ${commit?.slice(0, 7) ?? 'unknown'}${machine.gitDirty ? ' with uncommitted changes' : ''}; ` +
  `load average ${loadAverageStart[0]} at the start, ${machine.loadAverageEnd[0]} at the end; ${minutes} min`
console.log(`\n${QUICK ? 'QUICK run (small sizes: the figures check the run, not the aims)\n' : ''}${when}, ${setting}\n`)
console.log(formatTextTable(rows))
for (const o of Object.values(outcomes)) if (o.status !== 'ok') console.log(`${o.name}: ${o.status}${o.reason ? `: ${o.reason}` : ''}`)
console.log(`\nresults: ${path.relative(process.cwd(), resultsFile)}`)
if (process.env.BENCH_WRITE_DOC !== '0')
  writeLatestRun(
    'table',
    'pnpm bench',
    `Latest run of \`pnpm bench\`${QUICK ? ' with BENCH_QUICK=1 (small sizes: these figures check the run, not the aims)' : ''}, ${when}: ${setting}. ` +
      `Results: \`bench/results/${path.basename(resultsFile)}\`.\n\n${formatMarkdownTable(rows)}`,
    'pnpm bench',
  )
process.exit(Object.values(outcomes).some((o) => o.status === 'failed') ? 1 : 0)
