/**
 * Per-tariff indexes and caches built once, on first use, for the hot path
 * of rating (see docs/fares.md, "Performance"). Pure: everything here is a
 * function of the tariff, computed lazily and never changing a result.
 *
 * Money inside the search and the caps is carried as integer numbers of
 * "units" of 10^-scale of the currency, where scale is the largest number of
 * decimal places of any product or cap amount of the feed (2 for UAH feeds).
 * Sums of such integers are exact while they stay below 2^53; the tariff is
 * only marked `exact` when every amount is below 2^36 units, so a card would
 * need over 100,000 legs to leave the exact range, and `rate` checks the leg
 * count. Amounts become Decimal again at the API boundary (cached per value:
 * Decimal is immutable). A JS number never carries a fractional amount.
 */
import { Decimal, formatAmount } from '@fare/money'
import type { Cap, LegRule, ProductRow, Tariff, TransferRule } from './model.ts'

/** Most legs one rating may have for integer sums to be provably exact (2^53 / 2^36). */
export const MAX_EXACT_LEGS = 1 << 16
const MAX_UNITS = 2 ** 36
const MAX_SCALE = 9

export interface CompiledTariff {
  /** Whether integer units are exact for this feed; otherwise the reference engine is used. */
  readonly exact: boolean
  readonly scale: number
  readonly productUnits: Map<ProductRow, number>
  readonly capUnits: Map<Cap, number>
  /** Decimal of a number of units (cached: few distinct values occur). */
  dec(units: number): Decimal
  /** formatAmount of a number of units, with the currency's digits. */
  money(units: number): string
  /** formatAmount of a Decimal, cached by identity (the engine's Decimals come from dec() or the feed). */
  format(amount: Decimal): string
  /** Memo of span options and maximum fares (separate from tariff.memo, which the reference engine uses). */
  readonly memo: Map<string, unknown>
  /** Cheapest product row per product, category and medium (null: no price). */
  cheapestRow(productId: string, riderCategoryId: string | undefined, fareMediaId: string | undefined): ProductRow | undefined
  /** Transfer rules matching (from group, to group), in file order. */
  transferRulesBetween(fromGroup: string | undefined, toGroup: string | undefined): readonly TransferRule[]
  /** Transfer rules whose from group matches, in file order. */
  transferRulesFrom(fromGroup: string | undefined): readonly TransferRule[]
  /** Explanation facts of a leg rule and product, shared by every charge that uses them. */
  readonly ruleFacts: Map<LegRule, Map<ProductRow, unknown>>
  /** Per stop: the areas key used in memo keys. */
  areasKey(stopId: string | undefined): string
}

const compiled = new WeakMap<Tariff, CompiledTariff>()

function decimalPlaces(d: Decimal): number {
  return d.decimalPlaces()
}

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
  let scale = 0
  let exact = true
  for (const row of rows) scale = Math.max(scale, decimalPlaces(row.amount))
  for (const cap of tariff.caps) scale = Math.max(scale, decimalPlaces(cap.amount))
  if (scale > MAX_SCALE) exact = false
  const factor = new Decimal(10).pow(Math.min(scale, MAX_SCALE))
  const toUnits = (d: Decimal): number => {
    const scaled = d.times(factor)
    if (!scaled.isInteger() || scaled.abs().greaterThan(MAX_UNITS) || d.isNegative() && d.isZero()) {
      exact = false
      return 0
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
  const ZERO = new Decimal(0)
  const create = (units: number): Decimal => new Decimal(`${units}e-${scale}`)
  const dec = (units: number): Decimal => {
    if (units === 0) return ZERO
    if (units > 0 && units < SMALL) return positives[units] ??= create(units)
    if (units < 0 && units > -SMALL) return negatives[-units] ??= create(units)
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

  const groupMatches = (ruleGroup: string | undefined, group: string | undefined, listed: ReadonlySet<string>): boolean =>
    ruleGroup !== undefined ? ruleGroup === group : group === undefined || !listed.has(group)
  const between = new Map<string | undefined, Map<string | undefined, readonly TransferRule[]>>()
  const transferRulesBetween = (fromGroup: string | undefined, toGroup: string | undefined): readonly TransferRule[] => {
    let byTo = between.get(fromGroup)
    if (!byTo) {
      byTo = new Map()
      between.set(fromGroup, byTo)
    }
    let list = byTo.get(toGroup)
    if (!list) {
      list = tariff.transferRules.filter((rule) => groupMatches(rule.fromLegGroupId, fromGroup, tariff.listedFromLegGroupIds) && groupMatches(rule.toLegGroupId, toGroup, tariff.listedToLegGroupIds))
      byTo.set(toGroup, list)
    }
    return list
  }
  const from = new Map<string | undefined, readonly TransferRule[]>()
  const transferRulesFrom = (fromGroup: string | undefined): readonly TransferRule[] => {
    let list = from.get(fromGroup)
    if (!list) {
      list = tariff.transferRules.filter((rule) => groupMatches(rule.fromLegGroupId, fromGroup, tariff.listedFromLegGroupIds))
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
    exact, scale, productUnits, capUnits, dec, money, format, memo: new Map(), cheapestRow, transferRulesBetween, transferRulesFrom,
    ruleFacts: new Map(), areasKey,
  }
}

export function productFits(tariff: Tariff, row: ProductRow, riderCategoryId: string | undefined, fareMediaId: string | undefined): boolean {
  if (row.riderCategoryId !== undefined) {
    if (riderCategoryId !== undefined ? row.riderCategoryId !== riderCategoryId : !tariff.defaultRiderCategoryIds.has(row.riderCategoryId)) return false
  }
  return row.fareMediaId === undefined || fareMediaId === undefined || row.fareMediaId === fareMediaId
}
