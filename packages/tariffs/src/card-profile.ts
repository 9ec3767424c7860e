/**
 * How a stored card and a stored tap become the fare engine's input under a
 * tariff version, and which of the card's rider categories a tap is rated
 * with. The ledger rates with these, the api explains a rider's charges and
 * simulates tariff drafts with them; they must agree to the letter, so they
 * live once, here.
 */
import type { CardProfile, Tap, Tariff } from '@fare/fares'
import type { TariffBook, TariffVersionInForce } from './book.ts'

/** The card's fare profile as stored (`cards`). */
export interface StoredProfile {
  readonly riderCategoryId: string | null
  readonly riderCategoryValidFrom: string | null
  readonly riderCategoryValidTo: string | null
  readonly fareMediaId: string | null
}

/** A category the card had before (card_category_history): it applies to taps before `untilMs`. */
export interface EarlierCategory {
  readonly untilMs: number
  readonly riderCategoryId: string
  readonly riderCategoryValidFrom: string | null
  readonly riderCategoryValidTo: string | null
}

/** The card's profile and its earlier categories, oldest first, each for taps before its `untilMs`. */
export interface ProfileWithHistory extends StoredProfile {
  readonly earlier?: readonly EarlierCategory[]
}

/**
 * The profile a tap at `ms` is rated with, which period of the card's
 * categories that is (-1: the current one), and when that period began
 * (-Infinity: with the card).
 */
export function profileAt(stored: ProfileWithHistory, ms: number): { period: number; fromMs: number; profile: StoredProfile } {
  const earlier = stored.earlier ?? []
  let fromMs = -Infinity
  for (let i = 0; i < earlier.length; i++) {
    const e = earlier[i] as EarlierCategory
    if (ms < e.untilMs)
      return {
        period: i,
        fromMs,
        profile: {
          ...stored,
          riderCategoryId: e.riderCategoryId,
          riderCategoryValidFrom: e.riderCategoryValidFrom,
          riderCategoryValidTo: e.riderCategoryValidTo,
        },
      }
    fromMs = e.untilMs
  }
  return { period: -1, fromMs, profile: stored }
}

/** Taps one rating covers: a tariff version and a period of the card's categories. */
export interface RatingSegment<T> {
  readonly version: TariffVersionInForce
  readonly profile: StoredProfile
  readonly taps: T[]
}

/**
 * The card's taps split into the ratings the ledger makes, one per tariff
 * version and rider category period: a new version, or a category change,
 * starts afresh (caps and transfers do not carry across it). A tap before the
 * first version, or one `ratable` refuses, is in none.
 */
export function ratingSegments<T extends { readonly ms: number }>(
  book: TariffBook,
  profile: ProfileWithHistory,
  taps: readonly T[],
  ratable: (version: TariffVersionInForce, tap: T) => boolean,
): RatingSegment<T>[] {
  const byKey = new Map<string, RatingSegment<T>>()
  for (const tap of taps) {
    const version = book.at(tap.ms)
    if (!version || !ratable(version, tap)) continue
    const at = profileAt(profile, tap.ms)
    const key = `${version.id}/${at.period}`
    const segment = byKey.get(key) ?? { version, profile: at.profile, taps: [] }
    segment.taps.push(tap)
    byKey.set(key, segment)
  }
  return [...byKey.values()]
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
  return {
    tapId: tap.tapId,
    kind: tap.kind,
    routeId: tap.routeId,
    ...(tap.stopId === null ? {} : { stopId: tap.stopId }),
    deviceId: tap.deviceId,
    time: tap.time,
  }
}

/** Why the tariff cannot rate this tap (a route or stop it does not know), or undefined when it can. */
export function unratableReason(
  tariff: Tariff,
  tap: { readonly routeId: string; readonly stopId: string | null },
): 'UNKNOWN_ROUTE' | 'UNKNOWN_STOP' | undefined {
  if (!tariff.routes.has(tap.routeId)) return 'UNKNOWN_ROUTE'
  if (tap.stopId !== null && tariff.hasStops && !tariff.stops.has(tap.stopId)) return 'UNKNOWN_STOP'
  return undefined
}
