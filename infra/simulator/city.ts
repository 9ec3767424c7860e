/**
 * The simulated city: the routes and stops of the demo tariff, validators on
 * vehicles of each route (so of each operator), and cards of every rider
 * category with the money their riders put on them. Planned from the seed;
 * nothing here talks to the stack.
 */

import type { Tariff } from '@fare/fares'
import { type Decimal, parseAmount } from '@fare/money'
import type { Random } from './random.ts'

export interface SimValidator {
  readonly deviceId: string
  readonly operatorId: string
  readonly routeId: string
  readonly networkId: string
  readonly vehicleId: string
}

export interface SimCard {
  readonly cardToken: string
  readonly riderCategoryId: string
  readonly topUp: Decimal
  /** Put little money on the card: it runs out during the day and the ledger denies it. */
  readonly lowBalance: boolean
  /** Rides more than most (couriers, inspectors): the kind of rider who reaches a daily cap. */
  readonly frequentRider: boolean
}

export interface City {
  /** Names every card and device of this run (several runs can share a database). */
  readonly tag: string
  readonly validators: readonly SimValidator[]
  readonly cards: readonly SimCard[]
  readonly stopIds: readonly string[]
  readonly operatorIds: readonly string[]
}

/** Lutsk's riders, roughly: most pay the adult fare; pupils, students and pensioners have concessions. */
const CATEGORY_WEIGHTS = { adult: 66, pupil: 10, student: 8, pensioner: 14, veteran: 2 } as const
const LOW_BALANCE_SHARE = 0.12
const FREQUENT_RIDER_SHARE = 0.08

export function cardTokenPrefix(tag: string): string {
  return `ct_sim_${tag}_`
}

export function planCity(tariff: Tariff, options: { tag: string; cards: number; validators: number }, random: Random): City {
  const routes = [...tariff.routes.values()].sort((a, b) => a.routeId.localeCompare(b.routeId))
  if (routes.length === 0) throw new Error('the tariff has no routes to put validators on')
  const validators = Array.from({ length: options.validators }, (_, i): SimValidator => {
    const route = routes[i % routes.length] as (typeof routes)[number]
    const vehicle = Math.floor(i / routes.length) + 1
    return {
      deviceId: `sim-${options.tag}-${route.routeId}-${String(vehicle).padStart(2, '0')}`,
      operatorId: route.agencyId,
      routeId: route.routeId,
      networkId: route.networkId,
      vehicleId: `${route.routeId}-v${vehicle}`,
    }
  })
  const cards = Array.from({ length: options.cards }, (_, i): SimCard => {
    const riderCategoryId = random.weighted(CATEGORY_WEIGHTS)
    const lowBalance = random.chance(LOW_BALANCE_SHARE)
    // Whole hryvnias in tens, as a top-up kiosk takes them; a low balance covers a ride or two.
    const topUp = lowBalance ? parseAmount(`${random.int(1, 3) * 10}.00`) : parseAmount(`${random.int(10, 50) * 10}.00`)
    return {
      cardToken: `${cardTokenPrefix(options.tag)}${String(i + 1).padStart(6, '0')}`,
      riderCategoryId,
      topUp,
      lowBalance,
      frequentRider: random.chance(FREQUENT_RIDER_SHARE),
    }
  })
  return {
    tag: options.tag,
    validators,
    cards,
    stopIds: [...tariff.stops.keys()].sort(),
    operatorIds: [...new Set(routes.map((r) => r.agencyId))].sort(),
  }
}
