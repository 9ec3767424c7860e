/**
 * One chaos run: the stack on its own Kafka and Postgres, validators tapping
 * throughout, the faults injected one after another (each kind at least once,
 * the ledger killed several times), then the checks once everything has been
 * delivered and settled. Whatever happens, every process it started is
 * stopped and checked to be gone before it returns.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { seeded } from '../../test/support/random.ts'
import { createCityLoad } from './city-load.ts'
import { type FaultRecord, injectRounds } from './faults.ts'
import { combineLoads, createValidatorLoad, type TapLoad } from './load.ts'
import { type ChaosStack, LEDGER_GROUP, startChaosStack, TAPS_TOPIC } from './stack.ts'
import { type CheckResult, compareOutcomes, faultsCheck, readRecorded, runLedgerCheck, waitSettled } from './verify.ts'

export interface ChaosOptions {
  /** How long the faults go on; every fault kind runs once even if that takes longer. */
  minutes: number
  seed: number
  tapsPerSecond: number
  cards?: number
  /** Share of taps made to be refused (default 2%). */
  refusedShare?: number
  /** How long two ledgers share the group (default 10 s). */
  twoLedgersSeconds?: number
  /** Ledger kills (each with a batch transaction open) per round of faults (default 3). */
  ledgerKills?: number
  /** Where the taps come from: simulated validators tapping at a steady rate (default), or that and the city simulator's day. */
  load?: 'validators' | 'city'
  /** The city load's simulated hours, played over `minutes` (default 2). */
  cityHours?: number
  /** A compiled build (`pnpm build`'s dist/ layout) to run the services from; their sources through tsx when absent. */
  build?: string | undefined
  log?: (line: string) => void
  /** Told the cleanup as soon as there is one (a test's teardown, a signal handler). */
  registerCleanup?: (cleanup: () => Promise<void>) => void
  /** Keep the run's folder (service logs, validator stores) even when every check held. */
  keepRunDir?: boolean
}

export type { FaultRecord }

export interface ChaosResult {
  ok: boolean
  seed: number
  faults: FaultRecord[]
  checks: CheckResult[]
  /** Services that exited by themselves and were started again by the supervisor. */
  unexpectedExits: { at: Date; service: string; how: string }[]
  load: { recorded: number; accepted: number; refused: number; failedUploads: number }
  /** Where the service logs and validator stores are (kept when a check failed). */
  runDir: string
  runDirKept: boolean
}

const stamp = (d = new Date()) => d.toISOString().slice(11, 23)

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const random = seeded(options.seed)
  const log = (line: string) => options.log?.(`[${stamp()}] ${line}`)
  const runDir = mkdtempSync(path.join(tmpdir(), 'fare-chaos-'))
  const faults: FaultRecord[] = []
  const checks: CheckResult[] = []
  let stack: ChaosStack | undefined
  let load: TapLoad | undefined
  let pids: number[] = []
  let progressTimer: NodeJS.Timeout | undefined
  // The stack's own cleanup, known before it is up: a start that fails half-way stops what it had started.
  let stopStack: (() => Promise<void>) | undefined
  let cleanedUp: Promise<void> | undefined
  const cleanup = () => {
    cleanedUp ??= (async () => {
      clearInterval(progressTimer)
      await load?.close().catch(() => undefined)
      pids = [...(stack?.startedPids() ?? []), ...infraPids(stack)]
      await stopStack?.()
    })()
    return cleanedUp
  }
  options.registerCleanup?.(cleanup)
  try {
    stack = await startChaosStack({
      runDir,
      cards: options.cards ?? 300,
      random,
      log,
      build: options.build,
      registerCleanup: (stop) => {
        stopStack = stop
      },
    })
    const steady = createValidatorLoad({
      ingestUrl: stack.ingestUrl,
      apiUrl: stack.apiUrl,
      devices: stack.devices,
      cards: stack.cards,
      tapsPerSecond: options.tapsPerSecond,
      refusedShare: options.refusedShare ?? 0.02,
      random,
      storeRoot: path.join(runDir, 'validators'),
    })
    // The city's day may end before the faults do (a loaded machine): the steady load keeps taps (and refusals) coming.
    load =
      options.load === 'city'
        ? combineLoads(
            steady,
            await createCityLoad(stack.db, {
              ingestUrl: stack.ingestUrl,
              apiUrl: stack.apiUrl,
              seed: options.seed,
              cards: options.cards ?? 300,
              validators: 8,
              hours: options.cityHours ?? 2,
              realMinutes: options.minutes,
              log,
            }),
          )
        : steady
    load.start()
    const activeLoad = load
    progressTimer = setInterval(() => {
      const p = activeLoad.progress()
      log(`load: ${p.recorded} taps recorded, ${p.accepted} accepted, ${p.refused} refused, ${p.pending} pending, ${p.failedUploads} failed uploads (retried)`)
    }, 15_000)
    log(`load: ${options.tapsPerSecond} taps/s from ${stack.devices.length} validators over ${stack.cards.length} cards; waiting for the first accepted taps`)
    await waitUntil(() => activeLoad.progress().accepted >= 20, 120_000, 'the first 20 taps accepted')

    const faultCtx = {
      stack,
      random,
      sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
      twoLedgersMs: (options.twoLedgersSeconds ?? 10) * 1000,
    }
    await injectRounds(faultCtx, { minutes: options.minutes, ledgerKills: options.ledgerKills ?? 3, log, record: (f) => faults.push(f) })
    // A quiet stretch under load after the last fault, so its aftermath is exercised too.
    await faultCtx.sleep(5000)

    log('faults done; stopping the taps and delivering what the validators hold')
    load.stopRecording()
    await load.drain(180_000)
    clearInterval(progressTimer)
    const outcomes = load.outcomes()
    checks.push({
      name: 'validators delivered every tap',
      held: outcomes.unanswered === 0,
      detail: outcomes.unanswered === 0 ? 'nothing pending' : `${outcomes.unanswered} taps still unanswered after 180 s`,
    })
    log('waiting for the ledger to settle every record')
    const source = { consumerGroup: LEDGER_GROUP, topic: TAPS_TOPIC }
    checks.push(await waitSettled(stack.kafkaClient, stack.db, source, 300_000))
    log('checking')
    checks.push(...compareOutcomes(outcomes, await readRecorded(stack.db)))
    checks.push(...(await runLedgerCheck(stack.postgres.url('fare'), source)))
    checks.push(faultsCheck(faults))
  } catch (err) {
    checks.push({ name: 'the run completed', held: false, detail: (err as Error).message })
  }

  const progress = load?.progress()
  const unexpectedExits = (stack?.unexpectedExits ?? []).map(({ at, service, how }) => ({ at, service, how }))
  await cleanup()
  const survivors = await waitGone(pids, 30_000)
  checks.push({
    name: 'every process stopped afterwards',
    held: survivors.length === 0,
    detail: survivors.length === 0 ? `${pids.length} processes, all gone` : `still running: ${survivors.join(', ')}`,
  })
  const ok = checks.every((c) => c.held)
  const runDirKept = !ok || options.keepRunDir === true
  if (!runDirKept) rmSync(runDir, { recursive: true, force: true })
  return {
    ok,
    seed: options.seed,
    faults,
    checks,
    unexpectedExits,
    load: {
      recorded: progress?.recorded ?? 0,
      accepted: progress?.accepted ?? 0,
      refused: progress?.refused ?? 0,
      failedUploads: progress?.failedUploads ?? 0,
    },
    runDir,
    runDirKept,
  }
}

/** The broker's JVM and the postmaster, from their pid files (read before they are stopped). */
function infraPids(stack: ChaosStack | undefined): number[] {
  if (!stack) return []
  const files = [path.join(stack.kafka.dataDir, 'kafka.pid'), path.join(stack.postgres.dataDir, 'postmaster.pid')]
  return files.filter((f) => existsSync(f)).map((f) => Number(readFileSync(f, 'utf8').split('\n')[0]))
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

async function waitGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const alive = pids.filter(isAlive)
    if (alive.length === 0 || Date.now() > deadline) return alive
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** Whether `pid` runs (a zombie, exited but not yet reaped, does not). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}
