/**
 * How a stored card and a stored tap become the fare engine's input under a
 * tariff version. The ledger rates with these, the api explains a rider's
 * charges and simulates tariff drafts with them; they must agree to the
 * letter, so they live once, here.
 */
import type { CardProfile, Tap, Tariff } from '@fare/fares'

/** The card's fare profile as stored (`cards`). */
export interface StoredProfile {
  readonly riderCategoryId: string | null
  readonly riderCategoryValidFrom: string | null
  readonly riderCategoryValidTo: string | null
  readonly fareMediaId: string | null
}

/** A tap as stored, in the fields the engine reads. */
export interface StoredTap {
  readonly tapId: string
  readonly kind: 'entry' | 'exit'
  /** The validator's own time text, offset included. */
  readonly time: string
  readonly routeId: string
  readonly stopId: string | null
  readonly deviceId: string
}

/** A category or medium the tariff does not know is rated as the default: never a stuck partition. */
export function cardProfile(tariff: Tariff, stored: StoredProfile): CardProfile {
  const category = stored.riderCategoryId !== null && tariff.riderCategories.has(stored.riderCategoryId) ? stored.riderCategoryId : undefined
  const medium = stored.fareMediaId !== null && tariff.fareMedia.has(stored.fareMediaId) ? stored.fareMediaId : undefined
  return {
    ...(category === undefined ? {} : { riderCategoryId: category }),
    ...(category !== undefined && stored.riderCategoryValidFrom !== null ? { riderCategoryValidFrom: stored.riderCategoryValidFrom } : {}),
    ...(category !== undefined && stored.riderCategoryValidTo !== null ? { riderCategoryValidTo: stored.riderCategoryValidTo } : {}),
    ...(medium === undefined ? {} : { fareMediaId: medium }),
  }
}

/** The engine's input is its own `Tap`: @fare/fares is a pure library that depends on no service contract. */
export function engineTap(tap: StoredTap): Tap {
  return { tapId: tap.tapId, kind: tap.kind, routeId: tap.routeId, ...(tap.stopId === null ? {} : { stopId: tap.stopId }), deviceId: tap.deviceId, time: tap.time }
}

/** Why the tariff cannot rate this tap (a route or stop it does not know), or undefined when it can. */
export function unratableReason(tariff: Tariff, tap: { readonly routeId: string; readonly stopId: string | null }): 'UNKNOWN_ROUTE' | 'UNKNOWN_STOP' | undefined {
  if (!tariff.routes.has(tap.routeId)) return 'UNKNOWN_ROUTE'
  if (tap.stopId !== null && tariff.hasStops && !tariff.stops.has(tap.stopId)) return 'UNKNOWN_STOP'
  return undefined
}
