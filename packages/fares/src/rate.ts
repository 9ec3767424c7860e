/**
 * Rating a card's taps (docs/fares.md sections 3-5), step by step: taps
 * de-duplicated and ordered (tap-order.ts), taps to legs (legs.ts), each
 * leg's rider category (categories.ts), the best fare over the complete legs
 * (journeys.ts), then caps in event order and one charge per distinct tap
 * with its explanation (charges.ts). The same tariff, profile and set of taps
 * always give the same charges, whatever the order or repetition of the taps.
 */
import type { Decimal } from '@fare/money'
import { defaultCategoryId, legCategories } from './categories.ts'
import { type Charge, type ChargeContext, chargeLegs, chargeTaps } from './charges.ts'
import { checkCallSize, compile } from './compiled.ts'
import { type Explanation, sentenceWith } from './explain.ts'
import { priceJourneys } from './journeys.ts'
import { type LegOptionsResolved, tapsToLegs } from './legs.ts'
import type { Tariff } from './model.ts'
import { type CardProfile, checkProfile, type RateOptions, type Tap } from './request.ts'
import { normaliseTaps } from './tap-order.ts'

export type { Charge, ChargeFlag } from './charges.ts'

export interface Rating {
  readonly currency: string
  readonly total: Decimal
  /** One per distinct tap id, sorted by (time, tapId). */
  readonly charges: Charge[]
}

export function resolveOptions(options: RateOptions | undefined): LegOptionsResolved {
  return {
    maxJourneyMinutes: options?.maxJourneyMinutes ?? 120,
    duplicateTapSeconds: options?.duplicateTapSeconds ?? 5,
    groupTap: options?.groupTap ?? false,
  }
}

/**
 * Rates a card's taps, with money in integer units inside (compiled.ts),
 * per-tariff indexes and caches, and shared immutable parts of explanations.
 * At most MAX_TAPS_PER_CALL taps per call (REQUEST_INVALID otherwise).
 */
export function rate(tariff: Tariff, profile: CardProfile, taps: readonly Tap[], options?: RateOptions): Rating {
  checkCallSize(taps.length, 'taps')
  const c = compile(tariff)
  checkProfile(tariff, profile)
  const sorted = normaliseTaps(tariff, taps)
  const { legs, roles } = tapsToLegs(tariff, sorted, resolveOptions(options))
  const categories = legCategories(tariff, profile, legs)
  const currency = tariff.currency
  const format = c.format
  const ctx: ChargeContext = {
    tariff,
    c,
    profile,
    fallbackCategory: defaultCategoryId(tariff),
    zero: c.dec(0),
    say: (explanation: Explanation): string => sentenceWith(explanation, currency, format),
  }
  const journeys = priceJourneys(tariff, profile, legs, categories)
  const legCharges = chargeLegs(ctx, legs, categories, journeys)
  const { charges, total } = chargeTaps(ctx, sorted, roles, legs, legCharges)
  return { currency, total: c.dec(total), charges }
}
