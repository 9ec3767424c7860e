/**
 * Pricing the legs of a rating (docs/fares.md sections 2-3): the best fare
 * over the complete legs (incomplete and group legs take no part in fare
 * transfers), what the default category would have paid for them, and the
 * own fare of a leg priced alone.
 */
import { isFareError } from './errors.ts'
import { type BestFare, bestFare, type PricedSpan } from './fare-transfers.ts'
import { type LegOption, maximumFare, type PricingLeg, spanOptions } from './leg-rules.ts'
import type { TapLeg } from './legs.ts'
import type { LegRule, ProductRow, Tariff } from './model.ts'
import type { CardProfile } from './request.ts'

export function pricingLeg(tariff: Tariff, leg: TapLeg, riderCategoryId: string | undefined, fareMediaId: string | undefined): PricingLeg {
  const route = tariff.routes.get(leg.entry.routeId)
  return {
    routeId: leg.entry.routeId,
    networkId: leg.networkId,
    agencyId: route?.agencyId ?? '',
    fromStopId: leg.entry.stopId,
    toStopId: leg.exit?.stopId,
    departureMs: leg.entry.ms,
    arrivalMs: leg.exit?.ms,
    riderCategoryId,
    fareMediaId,
  }
}

/** The best fare of the complete legs, indexed by leg (an index into all legs of the rating). */
export interface JourneyPricing {
  /** The index of each complete leg, in order: position p of the best fare is leg completeIndexes[p]. */
  readonly completeIndexes: readonly number[]
  readonly fare: BestFare
  /** Per leg: the priced span it belongs to and its position in the complete legs (complete legs only). */
  readonly spanOfLeg: readonly (PricedSpan | undefined)[]
  readonly positionOfLeg: readonly number[]
  /** Per leg that starts a span: the default category's share of the increment (only when some leg has a category). */
  readonly fullIncrementOfLeg: readonly (number | undefined)[]
  /** Per journey of the best fare: the tap id of its first entry. */
  readonly journeyIds: readonly string[]
}

export function priceJourneys(tariff: Tariff, profile: CardProfile, legs: readonly TapLeg[], categories: readonly (string | undefined)[]): JourneyPricing {
  const completeIndexes: number[] = []
  const pricing: PricingLeg[] = []
  for (let index = 0; index < legs.length; index++) {
    const leg = legs[index] as TapLeg
    if (leg.status !== 'complete') continue
    completeIndexes.push(index)
    pricing.push(pricingLeg(tariff, leg, categories[index], profile.fareMediaId))
  }
  const fare = bestFare(tariff, pricing)
  const spanOfLeg: (PricedSpan | undefined)[] = new Array(legs.length)
  const positionOfLeg: number[] = new Array(legs.length)
  const fullIncrementOfLeg: (number | undefined)[] = new Array(legs.length)
  for (const span of fare.spans) {
    for (let p = span.start; p <= span.end; p++) {
      const index = completeIndexes[p] as number
      spanOfLeg[index] = span
      positionOfLeg[index] = p
    }
  }
  const fullFare = defaultCategoryFare(tariff, pricing, categories)
  if (fullFare) {
    const shares = shareOverSpans(fullFare.spans, fare.spans)
    for (const span of fare.spans) fullIncrementOfLeg[completeIndexes[span.start] as number] = shares.get(span.start) ?? 0
  }
  const journeyIds = fare.journeys.map((j) => (legs[completeIndexes[j.firstLeg] as number] as TapLeg).entry.tapId)
  return { completeIndexes, fare, spanOfLeg, positionOfLeg, fullIncrementOfLeg, journeyIds }
}

/** The best fare of the same legs for the default category; undefined when no leg has a category or the default has no fare. */
function defaultCategoryFare(tariff: Tariff, pricing: readonly PricingLeg[], categories: readonly (string | undefined)[]): BestFare | undefined {
  let needsFullFare = false
  for (const category of categories)
    if (category !== undefined) {
      needsFullFare = true
      break
    }
  if (!needsFullFare) return undefined
  try {
    return bestFare(
      tariff,
      pricing.map((leg) => ({ ...leg, riderCategoryId: undefined })),
    )
  } catch (error) {
    if (!isFareError(error)) throw error
    return undefined
  }
}

/**
 * What the default category would have paid, per effective leg of the rider's
 * own grouping (the start position of each of `riderSpans`). The two
 * categories may cut the same legs differently (a join cheaper for one and
 * dearer for the other), so each default span's increment is shared among the
 * rider's spans it overlaps, pro rata to what those cost the rider (by legs
 * when they cost nothing), in whole units with the remainder to the largest
 * fractions: the shares add up to the default total exactly. Where the
 * groupings agree, each rider span gets its default span's increment whole.
 */
function shareOverSpans(defaultSpans: readonly PricedSpan[], riderSpans: readonly PricedSpan[]): Map<number, number> {
  const shares = new Map<number, number>()
  for (const r of riderSpans) shares.set(r.start, 0)
  let first = 0 // both lists are in leg order and each covers every position once
  for (const d of defaultSpans) {
    while (first < riderSpans.length && (riderSpans[first] as PricedSpan).end < d.start) first++
    const overlapping: PricedSpan[] = []
    for (let i = first; i < riderSpans.length && (riderSpans[i] as PricedSpan).start <= d.end; i++) overlapping.push(riderSpans[i] as PricedSpan)
    if (overlapping.length === 0) continue
    const byCost = overlapping.map((r) => Math.max(0, r.increment))
    const weights = byCost.some((w) => w > 0) ? byCost : overlapping.map((r) => Math.min(r.end, d.end) - Math.max(r.start, d.start) + 1)
    // Exact integer arithmetic (BigInt): units times weights can pass 2^53 for large amounts.
    const total = BigInt(weights.reduce((a, b) => a + b, 0))
    const magnitude = BigInt(Math.abs(d.increment))
    const whole = weights.map((w) => (magnitude * BigInt(w)) / total)
    let left = magnitude - whole.reduce((a, b) => a + b, 0n)
    const order = weights
      .map((w, i) => ({ i, remainder: (magnitude * BigInt(w)) % total }))
      .sort((a, b) => (a.remainder === b.remainder ? a.i - b.i : a.remainder > b.remainder ? -1 : 1))
    for (const { i } of order) {
      if (left === 0n) break
      whole[i] = (whole[i] as bigint) + 1n
      left--
    }
    const sign = d.increment < 0 ? -1 : 1
    for (const [i, r] of overlapping.entries()) shares.set(r.start, (shares.get(r.start) ?? 0) + sign * Number(whole[i] as bigint))
  }
  return shares
}

/** The cheapest own fare of a single leg (for group passengers). */
export function ownFare(tariff: Tariff, leg: PricingLeg, tapOut: boolean): { rule: LegRule; product: ProductRow; units: number } {
  if (tapOut) return maximumFare(tariff, leg)
  const outcome = spanOptions(tariff, [leg])
  if (!outcome.ok) return maximumFare(tariff, leg)
  let best: LegOption | undefined
  for (const option of outcome.options) if (!best || option.units < best.units) best = option
  return best as LegOption
}

/** The default category's fare by `compute`, or the rider's own (`fallback`) when the default has none. */
export function fullFareOrSame(compute: () => number, fallback: number): number {
  try {
    return compute()
  } catch (error) {
    if (isFareError(error)) return fallback
    throw error
  }
}
