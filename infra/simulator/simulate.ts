/**
 * One simulated day, start to end: plan the city and its taps from the seed,
 * put the tariffs, validators and cards in the database, present every tap
 * at its validator as the simulated clock reaches it (publishing the new
 * fares as it passes midnight), wait until validators have uploaded and the
 * ledger has settled everything ingest accepted, then check every tap and
 * sum up.
 */
import { randomBytes } from 'node:crypto'
import type { Db } from '@fare/db'
import { formatInstant, loadFeedFromFiles } from '@fare/fares'
import { createTariffBook } from '@fare/tariffs'
import { sql } from 'kysely'
import { type CheckResult, checkRun } from './check.ts'
import { cardTokenPrefix, planCity } from './city.ts'
import { dayWindow, planTaps } from './day.ts'
import { Fleet } from './fleet.ts'
import { createProgress } from './progress.ts'
import { seededRandom } from './random.ts'
import { setUpCity } from './setup.ts'
import { type Summary, summarise } from './summary.ts'
import { demoTariffFiles, ensureTariffAt, newFaresFiles } from './tariff-change.ts'

export interface SimulateOptions {
  readonly cards: number
  readonly validators: number
  readonly hours: number
  /** Local hour the simulated window starts at (4: the service day's start). */
  readonly fromHour: number
  /** Simulated seconds per real second. */
  readonly speedUp: number
  readonly seed: number
  readonly ingestUrl: string
  readonly apiUrl: string
  readonly quiet: boolean
  /** How long to wait, once every validator has uploaded, for the ledger to settle what was accepted. */
  readonly settleTimeoutMs: number
  readonly log: (message: string) => void
}

const TICK_MS = 100
/** Simulated time between a validator's deny-list polls. */
const DENY_SYNC_SIMULATED_MS = 5 * 60_000

export interface Simulation {
  readonly summary: Summary
  /** The per-tap check again, on the database as it is now (a test spoils a charge and sees it found). */
  recheck(): Promise<CheckResult>
}

export async function simulate(db: Db, options: SimulateOptions): Promise<Simulation> {
  const startedAtMs = Date.now()
  const demo = loadFeedFromFiles(demoTariffFiles())
  const timeZone = demo.defaultTimezone ?? 'Europe/Kyiv'
  const window = dayWindow({ timeZone, fromHour: options.fromHour, hours: options.hours, nowMs: Date.now() })
  const random = seededRandom(options.seed)
  const city = planCity(demo, { tag: randomBytes(3).toString('hex'), cards: options.cards, validators: options.validators }, random)
  const plan = planTaps(city, window, random)
  options.log(
    `simulate: ${formatInstant(timeZone, window.startMs)} to ${formatInstant(timeZone, window.endMs)} (${options.hours} h at ${options.speedUp}x), ` +
      `${city.cards.length} cards (${cardTokenPrefix(city.tag)}*), ${city.validators.length} validators, ${plan.length} taps planned`,
  )

  await ensureTariffAt(db, window.startMs, 'Lutsk demo tariff (simulate)', demoTariffFiles())
  const privateKeys = await setUpCity(db, city, demo.currency)

  const realStartMs = Date.now()
  const simNow = () => Math.min(window.endMs, window.startMs + (Date.now() - realStartMs) * options.speedUp)
  const fleet = new Fleet(city, privateKeys, {
    ingestUrl: options.ingestUrl,
    apiUrl: options.apiUrl,
    window,
    simNow,
    denySyncEveryMs: Math.max(1000, DENY_SYNC_SIMULATED_MS / options.speedUp),
    random: seededRandom(options.seed + 1),
    log: options.quiet ? () => undefined : options.log,
  })
  let settled = 0
  let phase = 'day'
  const progress = createProgress({
    quiet: options.quiet,
    fractionDone: () => (phase === 'day' ? (simNow() - window.startMs) / (window.endMs - window.startMs) : settled / Math.max(1, fleet.accepted.size)),
  })
  const settledLike = `${cardTokenPrefix(city.tag)}%`
  const countSettled = async () => {
    const row = await sql<{ n: string }>`select count(*)::text as n from taps where card_token like ${settledLike}`.execute(db)
    settled = Number(row.rows[0]?.n ?? 0)
  }
  let nextCountMs = 0
  const tick = async () => {
    if (Date.now() >= nextCountMs) {
      await countSettled()
      nextCountMs = Date.now() + 1000
    }
    progress.update({
      simulatedTime: phase === 'day' ? formatInstant(timeZone, simNow()).slice(0, 16) : phase,
      sent: fleet.counts.recorded,
      accepted: fleet.accepted.size,
      settled,
      denied: fleet.counts.deniedAtGate,
      pending: fleet.pending(),
      offline: fleet.offlineNow(),
    })
    await new Promise((r) => setTimeout(r, TICK_MS))
  }

  fleet.start()
  try {
    let next = 0
    let newFaresPublished = window.midnightMs === undefined
    while (next < plan.length || simNow() < window.endMs) {
      const now = simNow()
      let end = next
      while (end < plan.length && (plan[end]?.atMs ?? Infinity) <= now) end += 1
      const due = plan.slice(next, end)
      if (!newFaresPublished && window.midnightMs !== undefined && due.some((t) => t.atMs >= (window.midnightMs ?? 0))) {
        // Before any tap after midnight leaves a validator, so the ledger rates each with the version in force at its time.
        await ensureTariffAt(db, window.midnightMs, 'Lutsk new fares (simulate)', newFaresFiles())
        newFaresPublished = true
      }
      fleet.present(due)
      next = end
      await tick()
    }
    phase = 'uploading'
    fleet.finishPresenting()
    let drained = false
    void fleet.drained().then(() => {
      drained = true
    })
    while (!drained) await tick()
    phase = 'settling'
    const deadline = Date.now() + options.settleTimeoutMs
    await countSettled()
    while (settled < fleet.accepted.size && Date.now() < deadline) await tick()
    await countSettled()
    progress.done()
    if (settled < fleet.accepted.size)
      options.log(`simulate: ${fleet.accepted.size - settled} accepted taps not settled within ${options.settleTimeoutMs / 1000} s`)
  } finally {
    await fleet.close()
  }
  // After the day, the demo tariff again: taps made now (`pnpm tap`) rate as the demo documents them.
  await ensureTariffAt(db, Math.floor(Date.now() / 1000) * 1000, 'Lutsk demo tariff (simulate, restored)', demoTariffFiles())
  const book = createTariffBook()
  await book.refresh(db)
  const check = await checkRun(db, book, city, fleet.sent, fleet.accepted)
  return {
    summary: await summarise(db, city, window, fleet, check, (Date.now() - startedAtMs) / 1000),
    recheck: () => checkRun(db, book, city, fleet.sent, fleet.accepted),
  }
}
