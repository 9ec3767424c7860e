/**
 * Fare engine benchmark (not a test): rates one month of taps for N cards
 * (default 100,000) under the demo tariff and under a tap-on/tap-off zone
 * tariff, one card at a time on one thread, and prints taps rated per second
 * per core. Taps are generated from a seeded PRNG so runs are comparable.
 *   pnpm bench:fares [--cards N]
 *
 * Each card's whole month goes through `rate` in one call, as the ledger
 * would rate it, and every rating is used: the totals are summed (Decimal)
 * and the charges and sentences counted, so nothing is dead code. Card
 * generation is not timed. Two figures are printed: taps per second of wall
 * time spent rating, and taps per second of CPU time of the process during
 * rating (process.cpuUsage; this includes V8's GC helper threads, so it is
 * conservative). On a shared, loaded machine the wall figure drops with the
 * load while the CPU figure stays close to what one free core does.
 */
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type CardProfile, loadFeed, rate, type Tap, type Tariff } from '@fare/fares'
import { ZERO } from '@fare/money'
import { seeded } from '../test/support/random.ts'
import { ZONE_ROUTES, ZONE_STOPS, zoneTariff } from './fares-zone-tariff.ts'
import { isMainModule } from './main-module.ts'

const MONTH_START = Date.parse('2026-03-01T00:00:00+02:00')
const DAYS = 31
const DEMO_ROUTES = ['bus-2', 'bus-10', 'bus-15', 'bus-30', 'trolley-1', 'trolley-4', 'trolley-7']
const CATEGORIES = [undefined, undefined, undefined, undefined, 'pupil', 'student', 'pensioner', 'veteran'] as const

interface Card {
  readonly profile: CardProfile
  readonly taps: Tap[]
}

function demoCard(random: () => number, cardIndex: number): Card {
  const taps: Tap[] = []
  const category = CATEGORIES[Math.floor(random() * CATEGORIES.length)]
  for (let day = 0; day < DAYS; day++) {
    const rides = Math.floor(random() * 5) // 0..4 rides a day
    let minute = 360 + Math.floor(random() * 180)
    for (let r = 0; r < rides; r++) {
      const time = new Date(MONTH_START + day * 86_400_000 + minute * 60_000).toISOString()
      const stop = `S${1 + Math.floor(random() * 12)}`
      taps.push({
        tapId: `c${cardIndex}-${day}-${r}`,
        kind: 'entry',
        routeId: DEMO_ROUTES[Math.floor(random() * DEMO_ROUTES.length)] as string,
        stopId: stop,
        time,
      })
      minute += 20 + Math.floor(random() * 240)
    }
  }
  return { profile: category === undefined ? {} : { riderCategoryId: category }, taps }
}

function zoneCard(random: () => number, cardIndex: number): Card {
  const taps: Tap[] = []
  for (let day = 0; day < DAYS; day++) {
    const rides = Math.floor(random() * 4)
    let minute = 360 + Math.floor(random() * 180)
    for (let r = 0; r < rides; r++) {
      const route = ZONE_ROUTES[Math.floor(random() * ZONE_ROUTES.length)] as string
      const entryMs = MONTH_START + day * 86_400_000 + minute * 60_000
      const ride = 5 + Math.floor(random() * 40)
      taps.push({
        tapId: `z${cardIndex}-${day}-${r}-in`,
        kind: 'entry',
        routeId: route,
        stopId: ZONE_STOPS[Math.floor(random() * ZONE_STOPS.length)] as string,
        time: new Date(entryMs).toISOString(),
      })
      if (random() > 0.03) {
        // 3 % forget to tap out
        taps.push({
          tapId: `z${cardIndex}-${day}-${r}-out`,
          kind: 'exit',
          routeId: route,
          stopId: ZONE_STOPS[Math.floor(random() * ZONE_STOPS.length)] as string,
          time: new Date(entryMs + ride * 60_000).toISOString(),
        })
      }
      minute += ride + 10 + Math.floor(random() * 240)
    }
  }
  return { profile: {}, taps }
}

export interface FaresTariffResult {
  readonly cards: number
  readonly taps: number
  readonly ratingSeconds: number
  /** Taps rated per second of wall time, one thread: taps/s per core. */
  readonly tapsPerSecond: number
  readonly tapsPerCpuSecond: number
  readonly checksum: { readonly charges: number; readonly total: string; readonly sentenceChars: number }
}

export interface FaresResult {
  readonly demo: FaresTariffResult
  readonly zone: FaresTariffResult
}

function run(cardCount: number, name: string, tariff: Tariff, makeCard: (random: () => number, index: number) => Card): FaresTariffResult {
  const random = seeded(20260301)
  let taps = 0
  let ratingMs = 0
  let cpuMicros = 0
  let charges = 0
  let sentenceChars = 0
  let total = ZERO
  // Generate in batches so that generation time is not counted and memory stays flat.
  const batch = 5_000
  for (let start = 0; start < cardCount; start += batch) {
    const cards: Card[] = []
    for (let i = start; i < Math.min(cardCount, start + batch); i++) cards.push(makeCard(random, i))
    const cpu0 = process.cpuUsage()
    const t0 = process.hrtime.bigint()
    for (const card of cards) {
      const rating = rate(tariff, card.profile, card.taps)
      total = total.plus(rating.total)
      charges += rating.charges.length
      const last = rating.charges[rating.charges.length - 1]
      if (last) sentenceChars += last.sentence.length
      taps += card.taps.length
    }
    ratingMs += Number(process.hrtime.bigint() - t0) / 1e6
    const cpu = process.cpuUsage(cpu0)
    cpuMicros += cpu.user + cpu.system
  }
  const perSecond = Math.round(taps / (ratingMs / 1000))
  const perCpuSecond = Math.round(taps / (cpuMicros / 1e6))
  console.log(
    `${name}: ${cardCount} cards, ${taps} taps in ${(ratingMs / 1000).toFixed(1)} s -> ` +
      `${perSecond.toLocaleString('en-US')} taps/s per core (1 thread, wall); ${perCpuSecond.toLocaleString('en-US')} taps/s per CPU-second`,
  )
  console.log(`  (checksum: ${charges} charges, total ${total.toFixed(2)} ${tariff.currency}, ${sentenceChars} sentence chars)`)
  return {
    cards: cardCount,
    taps,
    ratingSeconds: ratingMs / 1000,
    tapsPerSecond: perSecond,
    tapsPerCpuSecond: perCpuSecond,
    checksum: { charges, total: total.toFixed(2), sentenceChars },
  }
}

/** Rates `cards` cards' months under both tariffs (what `pnpm bench:fares` prints), returning the figures. */
export async function runFaresBench(options: { cards?: number } = {}): Promise<FaresResult> {
  const cards = options.cards ?? 100_000
  if (!Number.isInteger(cards) || cards <= 0) throw new Error('--cards must be a positive integer')
  const here = fileURLToPath(new URL('.', import.meta.url))
  const demo = run(cards, 'demo tariff (tap-on, Lutsk-like)', loadFeed(resolve(here, '../infra/demo-tariff')), demoCard)
  const zone = run(cards, 'zone tariff (tap-on/tap-off)', zoneTariff(), zoneCard)
  return { demo, zone }
}

if (isMainModule(import.meta.url)) {
  const args = process.argv.slice(2)
  const cardsFlag = args.indexOf('--cards')
  await runFaresBench(cardsFlag >= 0 ? { cards: Number(args[cardsFlag + 1]) } : {})
}
