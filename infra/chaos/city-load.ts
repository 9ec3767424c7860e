/**
 * The city simulator (`pnpm simulate`, infra/simulator) as the chaos run's
 * load: its riders (rush hours, transfers, double taps, concessions, cards
 * running out), validators that go offline and re-send batches whose answer
 * was lost, played at a speed that fits the simulated hours into the faults'
 * minutes. The same TapLoad as the plain validator load, so the faults and the
 * checks do not know which one runs. Its validators never send a tap ingest
 * must refuse; the run pairs it with the steady validator load, which does.
 */
import type { Db } from '@fare/db'
import { loadFeedFromFiles } from '@fare/fares'
import { planCity } from '../simulator/city.ts'
import { dayWindow, planTaps } from '../simulator/day.ts'
import { Fleet } from '../simulator/fleet.ts'
import { seededRandom } from '../simulator/random.ts'
import { setUpCity } from '../simulator/setup.ts'
import { demoTariffFiles, ensureTariffAt } from '../simulator/tariff-change.ts'
import type { TapLoad } from './load.ts'

export async function createCityLoad(
  db: Db,
  options: {
    ingestUrl: string
    apiUrl: string
    seed: number
    cards: number
    validators: number
    /** Simulated hours from 7:00 local time (the morning rush), played over `realMinutes`. */
    hours: number
    realMinutes: number
    log: (line: string) => void
  },
): Promise<TapLoad> {
  const demo = loadFeedFromFiles(demoTariffFiles())
  const timeZone = demo.defaultTimezone ?? 'Europe/Kyiv'
  const window = dayWindow({ timeZone, fromHour: 7, hours: options.hours, nowMs: Date.now() })
  const random = seededRandom(options.seed)
  const city = planCity(demo, { tag: `chaos${options.seed % 100_000}`, cards: options.cards, validators: options.validators }, random)
  const plan = planTaps(city, window, random)
  await ensureTariffAt(db, window.startMs, 'Lutsk demo tariff (chaos, city load)', demoTariffFiles())
  const privateKeys = await setUpCity(db, city, demo.currency)
  const speedUp = (options.hours * 3_600_000) / (options.realMinutes * 60_000)
  let realStartMs = Date.now()
  const simNow = () => Math.min(window.endMs, window.startMs + (Date.now() - realStartMs) * speedUp)
  const fleet = new Fleet(city, privateKeys, {
    ingestUrl: options.ingestUrl,
    apiUrl: options.apiUrl,
    window,
    simNow,
    denySyncEveryMs: 5000,
    random: seededRandom(options.seed + 1),
    log: options.log,
  })
  options.log(`load: the city simulator, ${plan.length} taps planned over ${options.hours} h played at ${speedUp.toFixed(0)}x`)
  let presenting = false
  let next = 0
  let presenter: Promise<void> | undefined
  return {
    start() {
      realStartMs = Date.now()
      presenting = true
      fleet.start()
      // A validator loop that dies (an error it does not retry) must not take the run down unheard:
      // its taps stay pending, and "validators delivered every tap" says so.
      fleet.drained().catch((err: Error) => options.log(`load: a simulated validator stopped for good: ${err.message}`))
      presenter = (async () => {
        while (presenting && next < plan.length) {
          const now = simNow()
          let end = next
          while (end < plan.length && (plan[end]?.atMs ?? Infinity) <= now) end += 1
          fleet.present(plan.slice(next, end))
          next = end
          await new Promise((r) => setTimeout(r, 100))
        }
      })()
    },
    stopRecording() {
      presenting = false
      fleet.finishPresenting()
    },
    async drain(timeoutMs) {
      await presenter
      await Promise.race([fleet.drained().catch(() => undefined), new Promise((r) => setTimeout(r, timeoutMs))])
    },
    async close() {
      presenting = false
      await presenter
      await fleet.close()
    },
    progress() {
      const c = fleet.counts
      return { recorded: c.recorded, accepted: fleet.accepted.size, refused: 0, pending: fleet.pending(), failedUploads: c.uploadFailures }
    },
    outcomes() {
      return { accepted: new Set(fleet.accepted), refused: new Map(), unanswered: fleet.pending() }
    },
  }
}
