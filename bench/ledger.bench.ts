/**
 * `pnpm bench:ledger`: settled taps per second, end to end (records on the
 * real broker, the ledger consuming, rating with the demo tariff, posting
 * transfers in Postgres), for 10,000 cards; once with all revenue to one
 * operator (one hot revenue account) and once spread over 20 operators. Then
 * the ceiling: a raw multi-row INSERT of the same rows into a plain table.
 * Prints the ratio and writes the figures under "## Ledger" in docs/benchmarks.md.
 *
 * Knobs: BENCH_TAPS (default 30000), BENCH_CARDS (10000), BENCH_CONCURRENCY (partitions settled
 * in parallel, 6), BENCH_MAX_BYTES_PER_PARTITION (4 MiB, the ledger's default), BENCH_WARMUP (1: a
 * 3,000-tap run first, not measured, so both measured runs see a warm process; 0: cold first run),
 * BENCH_PHASES=1 (wall time per phase of settleBatch, summed over batches), BENCH_TWENTY_FIRST=1,
 * BENCH_ROUNDS (3: rounds of 1 operator, 20 operators and the ceiling; the medians are the result),
 * BENCH_WRITE_DOC=0 (print only), BENCH_PROFILE=dir (a CPU profile of each measured ledger run, from
 * its start to its last commit, written to dir as .cpuprofile for Chrome DevTools or `node --cpu-prof` tools).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { cpus } from 'node:os'
import path from 'node:path'
import { postTransfers, systemAccountId, type TransferToPost } from '@fare/bookkeeping'
import { newTapId, TAP_EVENT_SCHEMA, type TapEvent } from '@fare/contracts'
import { createDb } from '@fare/db'
import { createTestDatabase, prepareTemplateDatabase, type TestDatabase } from '@fare/db/testing'
import { createLedgerConsumer } from '@fare/ledger'
import { parseAmount } from '@fare/money'
import { createKafka, createLogger, ensureTopics, KeyPartitioner } from '@fare/platform'
import { createTariffBook, readFeedFolder, saveTariffVersion } from '@fare/tariffs'
import { seeded } from '../test/support/random.ts'
import { writeLatestRun } from './latest-run.ts'
import { rawInsertCeiling } from './ledger-ceiling.ts'
import { envNumber, isMainModule } from './main-module.ts'

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
// The run's sizes: set by runLedgerBench from its options (the env knobs when run as `pnpm bench:ledger`).
let TAPS = 30_000
let CARDS = 10_000
let CONCURRENCY = 6
let MAX_BYTES = 4 * 1024 * 1024
let PHASES = false
let PROFILE_DIR: string | undefined
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')
const DEMO = readFeedFolder(path.join(ROOT, 'infra/demo-tariff'))

/** The demo tariff with the bus routes spread over `n` agencies (operators). */
function tariffWithOperators(n: number): { files: Record<string, string>; routes: string[] } {
  if (n === 1) return { files: DEMO, routes: ['bus-2', 'bus-10', 'bus-15', 'bus-30'] }
  const files = { ...DEMO }
  const ids = Array.from({ length: n }, (_, i) => `op-${String(i + 1).padStart(2, '0')}`)
  files['agency.txt'] = [
    'agency_id,agency_name,agency_url,agency_timezone,agency_lang',
    ...ids.map((id) => `${id},Operator ${id},https://example.org/${id},Europe/Kyiv,uk`),
    '',
  ].join('\n')
  files['routes.txt'] = [
    'route_id,agency_id,route_short_name,route_long_name,route_type,network_id',
    ...ids.map((id, i) => `r-${i + 1},${id},${i + 1},Route ${i + 1},3,bus`),
    '',
  ].join('\n')
  return { files, routes: ids.map((_, i) => `r-${i + 1}`) }
}

function makeTaps(routes: readonly string[], count: number): TapEvent[] {
  const next = seeded(42) // the same taps every run
  const start = Date.parse('2026-03-02T05:00:00+02:00')
  return Array.from({ length: count }, () => {
    const time = new Date(start + Math.floor(next() * 3 * 86_400_000)).toISOString()
    const route = routes[Math.floor(next() * routes.length)] as string
    return {
      schema: TAP_EVENT_SCHEMA,
      tapId: newTapId(),
      cardToken: `bench-${Math.floor(next() * CARDS)}`,
      kind: 'entry' as const,
      tappedAt: time,
      routeId: route,
      stopId: `S${1 + Math.floor(next() * 12)}`,
      deviceId: `dev-${route}`,
      operatorId: 'bench',
      receivedAt: time,
    }
  })
}

async function fundCards(database: TestDatabase): Promise<void> {
  const db = database.db
  const clearing = await systemAccountId(db, 'top_up_clearing', 'UAH')
  for (let i = 0; i < CARDS; i += 2000) {
    const n = Math.min(2000, CARDS - i)
    const accounts = await db
      .insertInto('accounts')
      .values(Array.from({ length: n }, () => ({ kind: 'rider' as const, currency: 'UAH' })))
      .returning('id')
      .execute()
    await db
      .insertInto('cards')
      .values(accounts.map((a, k) => ({ card_token: `bench-${i + k}`, account_id: a.id, rider_category_id: (i + k) % 10 === 0 ? 'pupil' : 'adult' })))
      .execute()
    const topUps: TransferToPost[] = accounts.map((a) => ({
      debitAccountId: clearing,
      creditAccountId: a.id,
      amount: parseAmount('500.00'),
      currency: 'UAH',
      kind: 'top_up',
    }))
    await db.transaction().execute((trx) => postTransfers(trx, topUps))
  }
}

interface RunResult {
  operators: number
  taps: number
  seconds: number
  tapsPerSecond: number
  transfers: number
}

async function runLedger(operators: number, count = TAPS, label = `ledger, ${operators} operator(s)`): Promise<{ result: RunResult; taps: TapEvent[] }> {
  const database = await createTestDatabase()
  const { files, routes } = tariffWithOperators(operators)
  await saveTariffVersion(database.db, { name: `bench ${operators}`, effectiveFrom: '2020-01-01T00:00:00+02:00', files })
  await fundCards(database)
  const id = Math.random().toString(16).slice(2, 10)
  const topic = `bench-ledger-${id}`
  const logger = createLogger({ level: 'warn', name: 'bench' })
  const kafka = createKafka({ brokers: BROKERS, clientId: 'bench-ledger', logger })
  await ensureTopics(kafka, [
    { topic, numPartitions: 6 },
    { topic: `${topic}.dlq`, numPartitions: 1 },
  ])
  const taps = makeTaps(routes, count)
  const producer = kafka.producer({ createPartitioner: KeyPartitioner })
  await producer.connect()
  for (let i = 0; i < taps.length; i += 1000) {
    await producer.send({ topic, acks: -1, messages: taps.slice(i, i + 1000).map((t) => ({ key: t.cardToken, value: JSON.stringify(t) })) })
  }
  await producer.disconnect()

  let recorded = 0
  let processed = 0
  let rejected = 0
  let transfers = 0
  let first = 0
  let last = 0
  let batches = 0
  let cpuAtFirst = process.cpuUsage()
  let cpuAtLast = cpuAtFirst
  let machineAtFirst = machineBusySeconds()
  let machineAtLast = machineAtFirst
  let batchSeconds = 0
  const phases = new Map<string, number>()
  // The ledger's own pool, sized as the ledger's main sizes it (partitions settled in parallel + 3).
  const ledgerDb = createDb(database.url, { applicationName: 'bench-ledger', maxConnections: CONCURRENCY + 3 })
  const ledger = createLedgerConsumer({
    kafka,
    db: ledgerDb,
    logger,
    topic,
    dlqTopic: `${topic}.dlq`,
    consumerGroup: `bench-${id}`,
    settle: { tariffs: createTariffBook() },
    partitionsConsumedConcurrently: CONCURRENCY,
    maxBytesPerPartition: MAX_BYTES,
    ...(PHASES ? { onPhase: (phase: string, ms: number) => void phases.set(phase, (phases.get(phase) ?? 0) + ms) } : {}),
    onSettled: (r, seconds) => {
      batches++
      batchSeconds += seconds
      const now = performance.now()
      if (first === 0) first = now - seconds * 1000
      cpuAtLast = process.cpuUsage()
      machineAtLast = machineBusySeconds()
      last = now
      recorded += r.recorded
      rejected += r.rejected.length
      processed += r.recorded + r.duplicates + r.rejected.length
      transfers += r.transfers
    },
  })
  const profiler = PROFILE_DIR && !label.startsWith('warm-up') ? new Session() : undefined
  if (profiler) {
    profiler.connect()
    await profiler.post('Profiler.enable')
    await profiler.post('Profiler.start')
  }
  const startedAt = performance.now()
  cpuAtFirst = process.cpuUsage()
  machineAtFirst = machineBusySeconds()
  await ledger.start()
  const deadline = Date.now() + 600_000
  while (processed < taps.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  if (profiler && PROFILE_DIR) {
    const { profile } = await profiler.post('Profiler.stop')
    mkdirSync(PROFILE_DIR, { recursive: true })
    const file = path.join(PROFILE_DIR, `ledger-${operators}-operators.cpuprofile`)
    writeFileSync(file, JSON.stringify(profile))
    profiler.disconnect()
    console.log(`  CPU profile: ${file}`)
  }
  await ledger.stop()
  await ledgerDb.destroy()
  // pg-pool's end() resolves once its clients are told to end, not once their backends are gone; the
  // forced DROP DATABASE below could then kill a backend whose client still listens, and the pool's
  // unhandled 'error' (57P01) would take the bench down. Give the goodbyes a moment.
  await new Promise((r) => setTimeout(r, 250))
  const seconds = (last - first) / 1000
  const result = { operators, taps: recorded, seconds, tapsPerSecond: recorded / seconds, transfers }
  console.log(
    `${label}: ${recorded} taps settled in ${seconds.toFixed(2)} s = ${result.tapsPerSecond.toFixed(0)} taps/s (${transfers} transfers, ${rejected} rejected)`,
  )
  if (rejected > 0) console.log('  rejected taps make this run invalid: see rejected_taps')
  const cpuSeconds = (cpuAtLast.user + cpuAtLast.system - cpuAtFirst.user - cpuAtFirst.system) / 1e6
  const sinceStart = (last - startedAt) / 1000
  console.log(
    `  ledger process CPU ${cpuSeconds.toFixed(2)} s in the ${sinceStart.toFixed(2)} s from ledger start to the last commit ` +
      `(${((cpuSeconds / sinceStart) * 100).toFixed(0)}% of one core; the rest it waits on Postgres and Kafka)`,
  )
  if (machineAtFirst !== undefined && machineAtLast !== undefined) {
    const others = machineAtLast - machineAtFirst - cpuSeconds
    console.log(
      `  the rest of the machine (Postgres, Kafka, anything else running) ${others.toFixed(2)} CPU s in that time ` +
        `(${((others / sinceStart) * 100).toFixed(0)}% of one core)`,
    )
  }
  if (PHASES) {
    const phaseTotal = [...phases].filter(([k]) => !k.startsWith(' ')).reduce((a, [, b]) => a + b, 0)
    console.log(
      `  ${batches} batches (${(recorded / Math.max(1, batches)).toFixed(0)} taps each), ` +
        `batch time summed over partitions ${batchSeconds.toFixed(2)} s; phases (summed, share):`,
    )
    for (const [phase, ms] of phases)
      console.log(`    ${phase.padEnd(24)} ${(ms / 1000).toFixed(2).padStart(7)} s  ${((ms / phaseTotal) * 100).toFixed(1).padStart(5)}%`)
  }
  await database.drop()
  return { result, taps }
}

/** CPU seconds the whole machine spent busy since boot (Linux /proc/stat); undefined elsewhere. */
function machineBusySeconds(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? []
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = fields
    return (user + nice + system + irq + softirq) / 100 // USER_HZ is 100 on Linux
  } catch {
    return undefined
  }
}

async function ceiling(taps: readonly TapEvent[]): Promise<{ seconds: number; rowsPerSecond: number }> {
  const database = await createTestDatabase()
  const seconds = await rawInsertCeiling(database.db, taps)
  await database.drop()
  console.log(`ceiling: raw multi-row INSERT of the same ${taps.length} rows: ${seconds.toFixed(2)} s = ${(taps.length / seconds).toFixed(0)} rows/s`)
  return { seconds, rowsPerSecond: taps.length / seconds }
}

export interface LedgerBenchOptions {
  readonly taps?: number | undefined
  readonly cards?: number | undefined
  readonly concurrency?: number | undefined
  readonly maxBytesPerPartition?: number | undefined
  readonly phases?: boolean | undefined
  readonly profileDir?: string | undefined
  /** Taps of the unmeasured warm-up run (3,000; 0: none, a cold first run). */
  readonly warmupTaps?: number | undefined
  readonly twentyFirst?: boolean | undefined
  readonly rounds?: number | undefined
}

interface Round {
  one: RunResult
  twenty: RunResult
  ceiling: { seconds: number; rowsPerSecond: number }
}

export interface LedgerResult {
  readonly taps: number
  readonly cards: number
  readonly concurrency: number
  readonly maxBytesPerPartition: number
  readonly warmupTaps: number
  readonly rounds: readonly Round[]
  /** Medians over the rounds. */
  readonly median: {
    readonly oneOperatorTapsPerSecond: number
    readonly twentyOperatorsTapsPerSecond: number
    readonly ceilingRowsPerSecond: number
    readonly oneOperatorRatio: number
    readonly twentyOperatorsRatio: number
  }
  readonly slowestRunTapsPerSecond: number
}

export async function runLedgerBench(options: LedgerBenchOptions = {}): Promise<LedgerResult> {
  TAPS = options.taps ?? 30_000
  CARDS = options.cards ?? 10_000
  CONCURRENCY = options.concurrency ?? 6
  MAX_BYTES = options.maxBytesPerPartition ?? 4 * 1024 * 1024
  PHASES = options.phases ?? false
  PROFILE_DIR = options.profileDir
  await prepareTemplateDatabase()
  // A ledger runs for days: JIT warm-up, module loading and the first connections are not its throughput.
  const warmupTaps = options.warmupTaps ?? 3000
  if (warmupTaps > 0) await runLedger(1, warmupTaps, 'warm-up (not measured)')
  // twentyFirst runs the 20-operator case first (to see what a cold process costs the first run).
  const twentyFirst = options.twentyFirst ?? false
  // Rounds of (1 operator, 20 operators, ceiling): on a shared machine one round's ratio swings with the
  // ceiling, so each round's ratios are printed and the medians are the result.
  const ROUNDS = options.rounds ?? 3
  const rounds: Round[] = []
  for (let i = 0; i < ROUNDS; i++) {
    if (ROUNDS > 1) console.log(`round ${i + 1} of ${ROUNDS}`)
    const early = await runLedger(twentyFirst ? 20 : 1)
    const late = await runLedger(twentyFirst ? 1 : 20)
    const [one, twenty] = twentyFirst ? [late, early] : [early, late]
    const top = await ceiling(one.taps)
    rounds.push({ one: one.result, twenty: twenty.result, ceiling: top })
    console.log(
      `ratio to ceiling: 1 operator ${percent(one.result.tapsPerSecond / top.rowsPerSecond)}, ` +
        `20 operators ${percent(twenty.result.tapsPerSecond / top.rowsPerSecond)}`,
    )
  }
  const oneRatios = rounds.map((r) => r.one.tapsPerSecond / r.ceiling.rowsPerSecond)
  const twentyRatios = rounds.map((r) => r.twenty.tapsPerSecond / r.ceiling.rowsPerSecond)
  const medianOne = median(oneRatios)
  const medianTwenty = median(twentyRatios)
  console.log(
    `\nmedian of ${ROUNDS} round(s): 1 operator ${median(rounds.map((r) => r.one.tapsPerSecond)).toFixed(0)} taps/s, ${percent(medianOne)} of the ceiling; ` +
      `20 operators ${median(rounds.map((r) => r.twenty.tapsPerSecond)).toFixed(0)} taps/s, ${percent(medianTwenty)}`,
  )
  const slowestRun = Math.min(...rounds.map((r) => Math.min(r.one.tapsPerSecond, r.twenty.tapsPerSecond)))
  const aimMet = slowestRun >= 3000 && medianOne >= 0.3 && medianTwenty >= 0.3
  console.log(`aim: >= 3000 taps/s and >= 30% of the ceiling: ${aimMet ? 'met' : 'NOT met'} (medians)`)

  return {
    taps: TAPS,
    cards: CARDS,
    concurrency: CONCURRENCY,
    maxBytesPerPartition: MAX_BYTES,
    warmupTaps,
    rounds,
    median: {
      oneOperatorTapsPerSecond: median(rounds.map((r) => r.one.tapsPerSecond)),
      twentyOperatorsTapsPerSecond: median(rounds.map((r) => r.twenty.tapsPerSecond)),
      ceilingRowsPerSecond: median(rounds.map((r) => r.ceiling.rowsPerSecond)),
      oneOperatorRatio: medianOne,
      twentyOperatorsRatio: medianTwenty,
    },
    slowestRunTapsPerSecond: slowestRun,
  }
}

function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`
}
function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

if (isMainModule(import.meta.url)) {
  const result = await runLedgerBench({
    taps: envNumber('BENCH_TAPS'),
    cards: envNumber('BENCH_CARDS'),
    concurrency: envNumber('BENCH_CONCURRENCY'),
    maxBytesPerPartition: envNumber('BENCH_MAX_BYTES_PER_PARTITION'),
    phases: process.env.BENCH_PHASES === '1',
    profileDir: process.env.BENCH_PROFILE || undefined,
    warmupTaps: process.env.BENCH_WARMUP === '0' ? 0 : 3000,
    twentyFirst: process.env.BENCH_TWENTY_FIRST === '1',
    rounds: envNumber('BENCH_ROUNDS'),
  })
  // docs/benchmarks.md: the bench's block under "## Ledger" (BENCH_WRITE_DOC=0 prints only).
  if (process.env.BENCH_WRITE_DOC !== '0') writeLedgerBlock(result)
  process.exit(0)
}

function writeLedgerBlock(result: LedgerResult): void {
  const { rounds } = result
  const oneRatios = rounds.map((r) => r.one.tapsPerSecond / r.ceiling.rowsPerSecond)
  const twentyRatios = rounds.map((r) => r.twenty.tapsPerSecond / r.ceiling.rowsPerSecond)
  const medianOne = result.median.oneOperatorRatio
  const medianTwenty = result.median.twentyOperatorsRatio
  const WARMUP = result.warmupTaps > 0
  const rows = rounds
    .map(
      (r, i) =>
        `| ${i + 1} | ${r.one.tapsPerSecond.toFixed(0)} | ${r.twenty.tapsPerSecond.toFixed(0)} | ${r.ceiling.rowsPerSecond.toFixed(0)} | ` +
        `${percent(oneRatios[i] as number)} / ${percent(twentyRatios[i] as number)} |`,
    )
    .join('\n')
  writeLatestRun(
    'ledger',
    'Ledger',
    `
Latest run of \`pnpm bench:ledger\` (${cpus().length} cores, ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ` +
      `${WARMUP ? `after an unmeasured ${result.warmupTaps}-tap warm-up` : 'cold process, no warm-up'}, ` +
      `batches up to ${result.maxBytesPerPartition} bytes per partition, ` +
      `${result.concurrency} partitions settled concurrently, ${result.taps} taps and about ${rounds[0]?.one.transfers ?? 0} transfers per run), ` +
      `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC:

| round | 1 operator taps/s | 20 operators taps/s | ceiling rows/s (raw multi-row INSERT, 2,000 per statement) | of ceiling (1 / 20) |
|---|---|---|---|---|
${rows}
| median | ${median(rounds.map((r) => r.one.tapsPerSecond)).toFixed(0)} | ${median(rounds.map((r) => r.twenty.tapsPerSecond)).toFixed(0)} | ` +
      `${median(rounds.map((r) => r.ceiling.rowsPerSecond)).toFixed(0)} | ${percent(medianOne)} / ${percent(medianTwenty)} |
`,
  )
}
