/**
 * Per-tariff indexes and caches built once, on first use, for the hot path
 * of rating (see docs/fares.md, "Performance"). Pure: everything here is a
 * function of the tariff, computed lazily and never changing a result.
 *
 * Money inside the search and the caps is carried as integer numbers of
 * "units" of 10^-scale of the currency, where scale is the largest number of
 * decimal places of any product or cap amount of the feed (2 for UAH feeds).
 * Sums of such integers are exact while they stay below 2^53. The feed loader
 * guarantees the rest (checkDecimalPlaces, checkAmountRange: FEED_INVALID
 * otherwise): scale at most 9 and every amount at most 2^36 units. A search
 * step adds at most two amounts (a transfer product and a leg fare), so with
 * at most 2^16 legs (MAX_TAPS_PER_CALL, checked by `rate` and `priceJourney`:
 * REQUEST_INVALID otherwise) every sum stays within 2 * 2^16 * 2^36 = 2^53.
 * Amounts become Decimal again at the API boundary (cached per value:
 * Decimal is immutable). A JS number never carries a fractional amount.
 */
import { amountFromUnits, type Decimal, formatAmount, ZERO } from '@fare/money'
import { feedInvalid, requestInvalid } from './errors.ts'
import type { Cap, FareTransferRule, LegRule, ProductRow, Tariff } from './model.ts'

/** Most significant decimal places of a feed amount. */
export const MAX_DECIMAL_PLACES = 9
/** Largest absolute amount, in units of 10^-scale, that a feed may have. */
export const MAX_UNITS = 2 ** 36
/** Most taps (rate) or legs (priceJourney) in one call, for integer sums to be provably exact (2^53 / 2^36 / 2). */
export const MAX_TAPS_PER_CALL = 1 << 16

/** An amount of a feed and where it is written. */
export interface AmountAt {
  readonly file: string
  readonly line: number
  readonly amount: Decimal
}

/**
 * FEED_INVALID unless the amount has at most MAX_DECIMAL_PLACES significant
 * decimal places ("1.50000" has one). Called by the loader for each amount.
 */
export function checkDecimalPlaces(at: AmountAt): void {
  const places = at.amount.decimalPlaces()
  if (places > MAX_DECIMAL_PLACES) {
    throw feedInvalid(at.file, at.line, 'amount', `amount has more than ${MAX_DECIMAL_PLACES} decimal places: ${at.amount.toFixed()} has ${places}`)
  }
}

/**
 * FEED_INVALID unless every amount is at most MAX_UNITS units of the feed's
 * finest decimal place (the scale is set by the amount with the most decimal
 * places, so one very precise amount lowers the ceiling of all the others).
 * Called by the loader once all amounts are read, in file order.
 */
export function checkAmountRange(amounts: readonly AmountAt[]): void {
  let finest: AmountAt | undefined
  for (const at of amounts) if (finest === undefined || at.amount.decimalPlaces() > finest.amount.decimalPlaces()) finest = at
  if (finest === undefined) return
  const scale = finest.amount.decimalPlaces()
  for (const at of amounts) {
    const units = at.amount.times(`1e${scale}`).abs()
    if (units.greaterThan(MAX_UNITS)) {
      const limit = amountFromUnits(MAX_UNITS, scale)
      const why =
        scale === 0
          ? `at most ${limit.toFixed()} is supported`
          : `with the feed's ${scale} decimal places (${finest.file} line ${finest.line}: ${finest.amount.toFixed()}) ` +
            `at most ${limit.toFixed()} is supported (2^36 units of 10^-${scale})`
      throw feedInvalid(at.file, at.line, 'amount', `amount too large: ${at.amount.toFixed()}; ${why}`)
    }
  }
}

/** REQUEST_INVALID when one call has more taps or legs than the exact integer sums allow. */
export function checkCallSize(count: number, what: 'taps' | 'legs'): void {
  if (count > MAX_TAPS_PER_CALL) {
    throw requestInvalid(`too many ${what} in one call: ${count}; at most ${MAX_TAPS_PER_CALL.toLocaleString('en-US')} are rated at once (split the request)`, {
      count,
      limit: MAX_TAPS_PER_CALL,
    })
  }
}

export interface CompiledTariff {
  readonly scale: number
  readonly productUnits: Map<ProductRow, number>
  readonly capUnits: Map<Cap, number>
  /** Decimal of a number of units (cached: few distinct values occur). */
  dec(units: number): Decimal
  /** formatAmount of a number of units, with the currency's digits. */
  money(units: number): string
  /** formatAmount of a Decimal, cached by identity (the engine's Decimals come from dec() or the feed). */
  format(amount: Decimal): string
  /** Memo of span options and maximum fares. */
  readonly memo: Map<string, unknown>
  /** Cheapest product row per product, category and medium (null: no price). */
  cheapestRow(productId: string, riderCategoryId: string | undefined, fareMediaId: string | undefined): ProductRow | undefined
  /** Transfer rules matching (from group, to group), in file order. */
  fareTransferRulesBetween(fromGroup: string | undefined, toGroup: string | undefined): readonly FareTransferRule[]
  /** Transfer rules whose from group matches, in file order. */
  fareTransferRulesFrom(fromGroup: string | undefined): readonly FareTransferRule[]
  /** Explanation facts of a leg rule and product, shared by every charge that uses them. */
  readonly ruleFacts: Map<LegRule, Map<ProductRow, unknown>>
  /** Per stop: the areas key used in memo keys. */
  areasKey(stopId: string | undefined): string
}

const compiled = new WeakMap<Tariff, CompiledTariff>()

export function compile(tariff: Tariff): CompiledTariff {
  let c = compiled.get(tariff)
  if (!c) {
    c = build(tariff)
    compiled.set(tariff, c)
  }
  return c
}

function build(tariff: Tariff): CompiledTariff {
  const rows: ProductRow[] = []
  for (const list of tariff.products.values()) rows.push(...list)
  // The loader has checked the amounts (checkDecimalPlaces, checkAmountRange); a Tariff is only made by the loader.
  let scale = 0
  for (const row of rows) scale = Math.max(scale, row.amount.decimalPlaces())
  for (const cap of tariff.caps) scale = Math.max(scale, cap.amount.decimalPlaces())
  const toUnits = (d: Decimal): number => {
    const scaled = d.times(`1e${scale}`)
    if (scale > MAX_DECIMAL_PLACES || !scaled.isInteger() || scaled.abs().greaterThan(MAX_UNITS) || (d.isNegative() && d.isZero())) {
      throw new Error(`internal: amount ${d.toString()} is outside the exact integer scheme; the feed loader should have rejected it`)
    }
    return scaled.toNumber()
  }
  const productUnits = new Map<ProductRow, number>()
  for (const row of rows) productUnits.set(row, toUnits(row.amount))
  const capUnits = new Map<Cap, number>()
  for (const cap of tariff.caps) capUnits.set(cap, toUnits(cap.amount))

  // Small amounts (the usual case) by array index, others in a bounded map.
  const SMALL = 1 << 17
  // Filled, so V8 keeps fast elements (a sparse array this long would be a dictionary).
  const positives: (Decimal | undefined)[] = new Array<Decimal | undefined>(SMALL).fill(undefined)
  const negatives: (Decimal | undefined)[] = new Array<Decimal | undefined>(SMALL).fill(undefined)
  const decimals = new Map<number, Decimal>()
  const create = (units: number): Decimal => amountFromUnits(units, scale)
  const dec = (units: number): Decimal => {
    if (units === 0) return ZERO
    if (units > 0 && units < SMALL) {
      const cached = positives[units] ?? create(units)
      positives[units] = cached
      return cached
    }
    if (units < 0 && units > -SMALL) {
      const cached = negatives[-units] ?? create(units)
      negatives[-units] = cached
      return cached
    }
    let d = decimals.get(units)
    if (d === undefined) {
      d = create(units)
      if (decimals.size > 50_000) decimals.clear()
      decimals.set(units, d)
    }
    return d
  }
  const monies = new Map<number, string>()
  const money = (units: number): string => {
    let text = monies.get(units)
    if (text === undefined) {
      text = formatAmount(dec(units), tariff.currency)
      if (monies.size > 50_000) monies.clear()
      monies.set(units, text)
    }
    return text
  }

  const formats = new Map<Decimal, string>()
  const format = (amount: Decimal): string => {
    let text = formats.get(amount)
    if (text === undefined) {
      text = formatAmount(amount, tariff.currency)
      if (formats.size > 50_000) formats.clear()
      formats.set(amount, text)
    }
    return text
  }

  // productId -> category -> medium -> cheapest row (null: none).
  const rowCache = new Map<string, Map<string | undefined, Map<string | undefined, ProductRow | null>>>()
  const cheapestRow = (productId: string, riderCategoryId: string | undefined, fareMediaId: string | undefined): ProductRow | undefined => {
    let byCategory = rowCache.get(productId)
    if (!byCategory) {
      byCategory = new Map()
      rowCache.set(productId, byCategory)
    }
    let byMedium = byCategory.get(riderCategoryId)
    if (!byMedium) {
      byMedium = new Map()
      byCategory.set(riderCategoryId, byMedium)
    }
    let row = byMedium.get(fareMediaId)
    if (row === undefined) {
      let best: ProductRow | undefined
      for (const r of tariff.products.get(productId) ?? []) {
        if (!productFits(tariff, r, riderCategoryId, fareMediaId)) continue
        if (best === undefined || (productUnits.get(r) as number) < (productUnits.get(best) as number)) best = r
      }
      row = best ?? null
      byMedium.set(fareMediaId, row)
    }
    return row ?? undefined
  }

  // A leg whose fare has no leg group is in no group: it matches no transfer rule, empty or not.
  const groupMatches = (ruleGroup: string | undefined, group: string | undefined, listed: ReadonlySet<string>): boolean =>
    group !== undefined && (ruleGroup !== undefined ? ruleGroup === group : !listed.has(group))
  const between = new Map<string | undefined, Map<string | undefined, readonly FareTransferRule[]>>()
  const fareTransferRulesBetween = (fromGroup: string | undefined, toGroup: string | undefined): readonly FareTransferRule[] => {
    let byTo = between.get(fromGroup)
    if (!byTo) {
      byTo = new Map()
      between.set(fromGroup, byTo)
    }
    let list = byTo.get(toGroup)
    if (!list) {
      list = tariff.fareTransferRules.filter(
        (rule) =>
          groupMatches(rule.fromLegGroupId, fromGroup, tariff.listedFromLegGroupIds) && groupMatches(rule.toLegGroupId, toGroup, tariff.listedToLegGroupIds),
      )
      byTo.set(toGroup, list)
    }
    return list
  }
  const from = new Map<string | undefined, readonly FareTransferRule[]>()
  const fareTransferRulesFrom = (fromGroup: string | undefined): readonly FareTransferRule[] => {
    let list = from.get(fromGroup)
    if (!list) {
      list = tariff.fareTransferRules.filter((rule) => groupMatches(rule.fromLegGroupId, fromGroup, tariff.listedFromLegGroupIds))
      from.set(fromGroup, list)
    }
    return list
  }
  const areaKeys = new Map<string, string>()
  const areasKey = (stopId: string | undefined): string => {
    if (stopId === undefined) return ''
    let key = areaKeys.get(stopId)
    if (key === undefined) {
      key = (tariff.stops.get(stopId)?.areaIds ?? []).join('\u0001')
      areaKeys.set(stopId, key)
    }
    return key
  }

  return {
    scale,
    productUnits,
    capUnits,
    dec,
    money,
    format,
    memo: new Map(),
    cheapestRow,
    fareTransferRulesBetween,
    fareTransferRulesFrom,
    ruleFacts: new Map(),
    areasKey,
  }
}

export function productFits(tariff: Tariff, row: ProductRow, riderCategoryId: string | undefined, fareMediaId: string | undefined): boolean {
  if (row.riderCategoryId !== undefined) {
    if (riderCategoryId !== undefined ? row.riderCategoryId !== riderCategoryId : !tariff.defaultRiderCategoryIds.has(row.riderCategoryId)) return false
  }
  return row.fareMediaId === undefined || fareMediaId === undefined || row.fareMediaId === fareMediaId
}
