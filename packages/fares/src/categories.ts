/** The rider category each leg is priced for: the card's within its validity dates, else the feed's default. */
import { eventTimezone } from './leg-rules.ts'
import type { TapLeg } from './legs.ts'
import type { Tariff } from './model.ts'
import type { CardProfile } from './request.ts'
import { localTime, parseDate } from './time/zone.ts'

/** The rider category in force at an instant: the profile's within its validity dates, else the default (undefined). */
export function categoryAt(tariff: Tariff, profile: CardProfile, routeId: string, stopId: string | undefined, epochMs: number): string | undefined {
  if (profile.riderCategoryId === undefined) return undefined
  if (profile.riderCategoryValidFrom === undefined && profile.riderCategoryValidTo === undefined) return profile.riderCategoryId
  const day = localTime(eventTimezone(tariff, routeId, stopId), epochMs).dayNumber
  const from = profile.riderCategoryValidFrom === undefined ? undefined : parseDate(profile.riderCategoryValidFrom)
  const to = profile.riderCategoryValidTo === undefined ? undefined : parseDate(profile.riderCategoryValidTo)
  if (from !== undefined && day < from) return undefined
  if (to !== undefined && day > to) return undefined
  return profile.riderCategoryId
}

/** The id of the default category, as caps and explanations name it. */
export function defaultCategoryId(tariff: Tariff): string | undefined {
  for (const id of tariff.defaultRiderCategoryIds) return id
  return undefined
}

/** Per leg, the category in force at its entry (undefined = the default). */
export function legCategories(tariff: Tariff, profile: CardProfile, legs: readonly TapLeg[]): (string | undefined)[] {
  const plainCategory = profile.riderCategoryValidFrom === undefined && profile.riderCategoryValidTo === undefined
  const categories: (string | undefined)[] = new Array(legs.length)
  for (let i = 0; i < legs.length; i++) {
    const leg = legs[i] as TapLeg
    categories[i] = plainCategory ? profile.riderCategoryId : categoryAt(tariff, profile, leg.entry.routeId, leg.entry.stopId, leg.entry.ms)
  }
  return categories
}
