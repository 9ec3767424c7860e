/**
 * The simulated day: which real instants it covers, and every tap its riders
 * make, planned from the seed before anything is sent.
 *
 * Ingest refuses taps from the future (beyond TAP_MAX_FUTURE_SKEW_SECONDS)
 * and older than 31 days, so the day simulated is a recent one: the latest
 * whose window (from --from-hour for --hours) has ended at least ten minutes
 * ago, i.e. today's or yesterday's, in the tariff's time zone.
 */
import { instantOfLocal, localTime, MS_PER_DAY } from '@fare/fares'
import type { City, SimCard } from './city.ts'
import type { Random } from './random.ts'

const HOUR_MS = 3_600_000
const MINUTE_MS = 60_000
/** How long ago the window must have ended: a margin for clocks and for the run itself. */
const END_MARGIN_MS = 10 * MINUTE_MS

export interface DayWindow {
  readonly timeZone: string
  readonly startMs: number
  readonly endMs: number
  /** The local midnight inside the window (the tariff changes there), if the window has one. */
  readonly midnightMs: number | undefined
}

export function dayWindow(options: { timeZone: string; fromHour: number; hours: number; nowMs: number }): DayWindow {
  let day = localTime(options.timeZone, options.nowMs).dayNumber
  const startOf = (d: number) => instantOfLocal(options.timeZone, d * MS_PER_DAY + options.fromHour * HOUR_MS)
  while (startOf(day) + options.hours * HOUR_MS > options.nowMs - END_MARGIN_MS) day -= 1
  const startMs = startOf(day)
  const endMs = startMs + options.hours * HOUR_MS
  const midnightMs = instantOfLocal(options.timeZone, (day + 1) * MS_PER_DAY)
  return { timeZone: options.timeZone, startMs, endMs, midnightMs: midnightMs > startMs && midnightMs < endMs ? midnightMs : undefined }
}

export type Behaviour = 'ride' | 'transfer' | 'late-transfer' | 'double-tap'

export interface PlannedTap {
  readonly atMs: number
  readonly card: number
  readonly validator: number
  readonly stopId: string
  readonly behaviour: Behaviour
}

/** When in the day a journey starts, in local hours from the window's day (24 and on: after midnight). */
type Slot = 'morning' | 'evening' | 'daytime' | 'late'

function slotHour(slot: Slot, random: Random): number {
  switch (slot) {
    case 'morning':
      return random.normal(8, 0.8)
    case 'evening':
      return random.normal(17.5, 1)
    case 'daytime':
      return random.between(9.5, 16)
    case 'late':
      return random.between(19.5, 25.5)
    default: {
      const _: never = slot
      return _
    }
  }
}

/** The journeys a rider makes: commuters twice, at the peaks; pensioners in the day; some more often. */
function journeySlots(card: SimCard, random: Random): Slot[] {
  if (card.frequentRider) return ['morning', 'daytime', 'daytime', 'evening', random.pick(['daytime', 'late'] as const)]
  if (card.riderCategoryId === 'pensioner' || card.riderCategoryId === 'veteran') return random.chance(0.6) ? ['daytime', 'daytime'] : ['daytime']
  const roll = random.next()
  if (roll < 0.1) return [random.pick(['daytime', 'late'] as const)]
  if (roll < 0.7) return ['morning', 'evening']
  return ['morning', 'evening', 'late']
}

const TRANSFER_SHARE = 0.3
const LATE_TRANSFER_SHARE = 0.05
const DOUBLE_TAP_SHARE = 0.03

/**
 * Every tap of the day, in time order. Each journey is a ride on one
 * validator; some change to the other network within the transfer window
 * (a few too late for it), and some riders tap twice in a row.
 */
export function planTaps(city: City, window: DayWindow, random: Random): PlannedTap[] {
  const dayStartMs = window.startMs - localHourOf(window) * HOUR_MS
  const byNetwork = new Map<string, number[]>()
  for (const [i, v] of city.validators.entries()) byNetwork.set(v.networkId, [...(byNetwork.get(v.networkId) ?? []), i])
  const all = city.validators.map((_, i) => i)
  const taps: PlannedTap[] = []
  city.cards.forEach((card, cardIndex) => {
    for (const slot of journeySlots(card, random)) {
      const startMs = dayStartMs + slotHour(slot, random) * HOUR_MS
      const first = random.pick(all)
      const tap = (atMs: number, validator: number, behaviour: Behaviour) =>
        taps.push({ atMs: Math.round(atMs), card: cardIndex, validator, stopId: random.pick(city.stopIds), behaviour })
      tap(startMs, first, 'ride')
      if (random.chance(DOUBLE_TAP_SHARE)) tap(startMs + random.between(1, 4) * 1000, first, 'double-tap')
      const network = city.validators[first]?.networkId
      const others = [...byNetwork].filter(([id]) => id !== network).flatMap(([, list]) => list)
      if (others.length === 0) continue
      if (random.chance(TRANSFER_SHARE)) tap(startMs + random.between(8, 45) * MINUTE_MS, random.pick(others), 'transfer')
      else if (random.chance(LATE_TRANSFER_SHARE)) tap(startMs + random.between(70, 90) * MINUTE_MS, random.pick(others), 'late-transfer')
    }
  })
  return taps.filter((t) => t.atMs >= window.startMs && t.atMs < window.endMs).sort((a, b) => a.atMs - b.atMs || a.card - b.card)
}

/** The local hour the window starts at (its --from-hour, read back from the instant). */
function localHourOf(window: DayWindow): number {
  return localTime(window.timeZone, window.startMs).secondOfDay / 3600
}
