/**
 * The riders of a Lutsk-sized month for `pnpm bench:reports`, seeded so every
 * run settles the same figures: cards with a rider category (a share of
 * pupils, students, pensioners and veterans), a home route each and, for a
 * third of them, a route of the other network they change to (a fare
 * transfer, often between two operators). Each day a shuffled set of cards
 * rides until the day has its taps: a morning trip around 07:45, an evening
 * one around 17:30, off-peak trips, heavy riders who reach the daily cap, and
 * a few double taps.
 */
import { newTapId, TAP_EVENT_SCHEMA, type TapEvent } from '@fare/contracts'
import { seeded, shuffle } from '../../test/support/random.ts'
import type { BenchRoute } from './tariff.ts'

/** November 2026: Kyiv stays on +02:00 the whole month. */
export const MONTH = '2026-11'
const OFFSET = '+02:00'
const VEHICLES_PER_ROUTE = 8

const CATEGORY_SHARES: readonly (readonly [string, number])[] = [
  ['adult', 0.66],
  ['pupil', 0.1],
  ['student', 0.08],
  ['pensioner', 0.13],
  ['veteran', 0.03],
]

export interface BenchCard {
  readonly token: string
  readonly category: string
  readonly home: BenchRoute
  /** The route of the other network this rider changes to, if any. */
  readonly change: BenchRoute | undefined
  /** Rides four or five times a day: reaches the daily cap. */
  readonly heavy: boolean
}

export function benchCards(count: number, routes: readonly BenchRoute[]): BenchCard[] {
  const next = seeded(11)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T
  const bus = routes.filter((r) => r.network === 'bus')
  const trolley = routes.filter((r) => r.network === 'trolleybus')
  return Array.from({ length: count }, (_, i): BenchCard => {
    let roll = next()
    let category = 'adult'
    for (const [id, share] of CATEGORY_SHARES) {
      if (roll < share) {
        category = id
        break
      }
      roll -= share
    }
    const home = pick(routes)
    const changes = next() < 0.33
    return {
      token: `lutsk-${String(i).padStart(6, '0')}`,
      category,
      home,
      change: changes ? pick(home.network === 'bus' ? trolley : bus) : undefined,
      heavy: next() < 0.06,
    }
  })
}

/** Day `index` (0 = the 1st) of the month as a date. */
export function dayOf(index: number): string {
  return `${MONTH}-${String(index + 1).padStart(2, '0')}`
}

/** A time around `mean` minutes after local midnight (sum of uniforms: a bell), kept within [min, max]. */
function bell(next: () => number, mean: number, spread: number, min: number, max: number): number {
  const u = (next() + next() + next() + next() - 2) / 2 // about normal, sd ~0.58
  return Math.min(max, Math.max(min, mean + u * spread * 1.7))
}

/** One day's taps, in time order: BENCH_TAPS_PER_DAY of them. */
export function dayTaps(index: number, cards: readonly BenchCard[], tapsPerDay: number): TapEvent[] {
  const next = seeded(1000 + index)
  const midnight = Date.parse(`${dayOf(index)}T00:00:00${OFFSET}`)
  const taps: TapEvent[] = []
  const tap = (card: BenchCard, route: BenchRoute, minute: number): void => {
    const ms = midnight + Math.round(minute * 60_000)
    const vehicle = Math.floor(next() * VEHICLES_PER_ROUTE)
    taps.push({
      schema: TAP_EVENT_SCHEMA,
      tapId: newTapId(),
      cardToken: card.token,
      kind: 'entry',
      tappedAt: new Date(ms).toISOString(),
      routeId: route.id,
      stopId: route.stops[Math.floor(next() * route.stops.length)] as string,
      vehicleId: `veh-${route.id}-${vehicle}`,
      deviceId: validatorId(route, vehicle),
      operatorId: route.operator,
      receivedAt: new Date(ms + 2000 + Math.floor(next() * 60_000)).toISOString(),
    })
  }
  // A trip: one leg, or two with a change 8 to 40 minutes later; now and then a double tap on boarding.
  const trip = (card: BenchCard, minute: number, outbound: boolean): void => {
    const legs = card.change ? (outbound ? [card.home, card.change] : [card.change, card.home]) : [card.home]
    let at = minute
    for (const route of legs) {
      tap(card, route, at)
      if (next() < 0.005) tap(card, route, at + 0.2)
      at += 8 + next() * 32
    }
  }
  for (const card of shuffle(next, cards)) {
    if (taps.length >= tapsPerDay) break
    const commuter = next() < 0.7
    if (commuter) {
      trip(card, bell(next, 7 * 60 + 45, 50, 5 * 60 + 15, 11 * 60), true)
      if (next() < 0.9) trip(card, bell(next, 17 * 60 + 30, 70, 12 * 60, 22 * 60 + 30), false)
    } else {
      trip(card, 9 * 60 + next() * 7 * 60, true)
      if (next() < 0.6) trip(card, 13 * 60 + next() * 6 * 60, false)
    }
    if (card.heavy) for (let k = 0; k < 3; k++) trip(card, 10 * 60 + next() * 9 * 60, k % 2 === 0)
  }
  taps.length = Math.min(taps.length, tapsPerDay)
  return taps.sort((a, b) => (a.tappedAt < b.tappedAt ? -1 : a.tappedAt > b.tappedAt ? 1 : 0))
}

export function validatorId(route: BenchRoute, vehicle: number): string {
  return `val-${route.id}-${vehicle}`
}

export function allValidators(routes: readonly BenchRoute[]): { id: string; operator: string }[] {
  return routes.flatMap((r) => Array.from({ length: VEHICLES_PER_ROUTE }, (_, v) => ({ id: validatorId(r, v), operator: r.operator })))
}
