/**
 * What a tariff version makes of a stored card and tap before the fare engine
 * rates them: shared by the ledger (which posts the charges) and the api's
 * draft simulation (which only sums them), so both rate alike.
 */
import type { CardProfile, Tariff } from '@fare/fares'

/** A card's profile as stored (`cards`). */
export interface StoredProfile {
  readonly riderCategoryId: string | null
  readonly riderCategoryValidFrom: string | null
  readonly riderCategoryValidTo: string | null
  readonly fareMediaId: string | null
}

/** The engine's profile of a card under a tariff. */
export function cardProfile(tariff: Tariff, stored: StoredProfile): CardProfile {
  // A category or medium the tariff does not know is rated as the default, never a stuck partition.
  const category = stored.riderCategoryId !== null && tariff.riderCategories.has(stored.riderCategoryId) ? stored.riderCategoryId : undefined
  const medium = stored.fareMediaId !== null && tariff.fareMedia.has(stored.fareMediaId) ? stored.fareMediaId : undefined
  return {
    ...(category === undefined ? {} : { riderCategoryId: category }),
    ...(category !== undefined && stored.riderCategoryValidFrom !== null ? { riderCategoryValidFrom: stored.riderCategoryValidFrom } : {}),
    ...(category !== undefined && stored.riderCategoryValidTo !== null ? { riderCategoryValidTo: stored.riderCategoryValidTo } : {}),
    ...(medium === undefined ? {} : { fareMediaId: medium }),
  }
}

/** Why the tariff cannot rate this tap (a route or stop it does not know), or undefined when it can. */
export function unratableReason(tariff: Tariff, tap: { readonly routeId: string; readonly stopId: string | null }): 'UNKNOWN_ROUTE' | 'UNKNOWN_STOP' | undefined {
  if (!tariff.routes.has(tap.routeId)) return 'UNKNOWN_ROUTE'
  if (tap.stopId !== null && tariff.hasStops && !tariff.stops.has(tap.stopId)) return 'UNKNOWN_STOP'
  return undefined
}
