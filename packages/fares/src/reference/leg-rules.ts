/**
 * Which product a (possibly joined) leg costs: fare_leg_rules.txt matching on
 * network, areas and timeframes (FARES.md section 2), then the cheapest
 * product that fits the rider's category and medium.
 */
import type { Decimal } from '@fare/money'
import { fareNotFound } from '../errors.ts'
import type { LegRule, ProductRow, Tariff } from '../model.ts'
import { localTime } from './zone.ts'

export interface PricingLeg {
  readonly routeId: string
  readonly networkId: string
  readonly agencyId: string
  readonly fromStopId: string | undefined
  readonly toStopId: string | undefined
  readonly departureMs: number
  readonly arrivalMs: number | undefined
  /** undefined = the default category. */
  readonly riderCategoryId: string | undefined
  /** undefined = any medium. */
  readonly fareMediaId: string | undefined
}

export interface LegOption {
  readonly legGroupId: string | undefined
  readonly rule: LegRule
  readonly product: ProductRow
  readonly amount: Decimal
}

/** The time zone of a fare event: the stop's (a platform uses its station's), else the route's agency's. */
export function eventTimezone(tariff: Tariff, routeId: string, stopId: string | undefined): string {
  if (stopId !== undefined) {
    const zone = tariff.stops.get(stopId)?.timezone
    if (zone !== undefined) return zone
  }
  const agencyId = tariff.routes.get(routeId)?.agencyId
  return (agencyId !== undefined ? tariff.agencies.get(agencyId)?.timezone : undefined) ?? tariff.defaultTimezone
}

function serviceActive(tariff: Tariff, serviceId: string, dayNumber: number, weekday: number): boolean {
  const service = tariff.services.get(serviceId)
  if (!service) return false
  if (service.added.has(dayNumber)) return true
  if (service.removed.has(dayNumber)) return false
  return dayNumber >= service.startDay && dayNumber <= service.endDay && service.weekdays[weekday] === true
}

/** Timeframe groups in force at an instant, as a sorted, joined key (start inclusive, end exclusive). */
export function timeframeGroupsAt(tariff: Tariff, zone: string, epochMs: number): string {
  if (tariff.timeframes.length === 0) return ''
  const local = localTime(zone, epochMs)
  const groups = new Set<string>()
  for (const frame of tariff.timeframes) {
    if (local.secondOfDay >= frame.startSecond && local.secondOfDay < frame.endSecond && serviceActive(tariff, frame.serviceId, local.dayNumber, local.weekday)) {
      groups.add(frame.groupId)
    }
  }
  return [...groups].sort().join('\u0001')
}

export function productFits(tariff: Tariff, row: ProductRow, riderCategoryId: string | undefined, fareMediaId: string | undefined): boolean {
  if (row.riderCategoryId !== undefined) {
    if (riderCategoryId !== undefined ? row.riderCategoryId !== riderCategoryId : !tariff.defaultRiderCategoryIds.has(row.riderCategoryId)) return false
  }
  return row.fareMediaId === undefined || fareMediaId === undefined || row.fareMediaId === fareMediaId
}

/** The cheapest row of a product for the category and medium; undefined when it has no price for them. */
export function cheapestProductRow(tariff: Tariff, productId: string, riderCategoryId: string | undefined, fareMediaId: string | undefined): ProductRow | undefined {
  let best: ProductRow | undefined
  for (const row of tariff.products.get(productId) ?? []) {
    if (productFits(tariff, row, riderCategoryId, fareMediaId) && (best === undefined || row.amount.lessThan(best.amount))) best = row
  }
  return best
}

function areasOf(tariff: Tariff, stopId: string | undefined): readonly string[] {
  return stopId === undefined ? [] : tariff.stops.get(stopId)?.areaIds ?? []
}

function areaMatches(ruleArea: string | undefined, areas: readonly string[], listed: ReadonlySet<string>, wildcard: boolean): boolean {
  if (ruleArea !== undefined) return areas.includes(ruleArea)
  return wildcard || !areas.some((area) => listed.has(area))
}

function networkMatches(tariff: Tariff, rule: LegRule, networks: readonly string[]): boolean {
  if (rule.networkId !== undefined) return networks.every((n) => n === rule.networkId)
  return tariff.hasRulePriority || networks.every((n) => !tariff.listedNetworkIds.has(n))
}

function groupMatches(ruleGroup: string | undefined, groupsKey: string | undefined): boolean {
  if (ruleGroup === undefined) return true
  return groupsKey !== undefined && groupsKey !== '' && groupsKey.split('\u0001').includes(ruleGroup)
}

interface SpanFacts {
  readonly networks: readonly string[]
  readonly fromAreas: readonly string[]
  readonly toAreas: readonly string[]
  readonly fromGroups: string
  /** undefined when the span has no arrival. */
  readonly toGroups: string | undefined
  readonly riderCategoryId: string | undefined
  readonly fareMediaId: string | undefined
}

function factsOf(tariff: Tariff, legs: readonly PricingLeg[]): SpanFacts {
  const first = legs[0] as PricingLeg
  const last = legs[legs.length - 1] as PricingLeg
  return {
    networks: legs.map((leg) => leg.networkId),
    fromAreas: areasOf(tariff, first.fromStopId),
    toAreas: areasOf(tariff, last.toStopId),
    fromGroups: timeframeGroupsAt(tariff, eventTimezone(tariff, first.routeId, first.fromStopId), first.departureMs),
    toGroups: last.arrivalMs === undefined ? undefined : timeframeGroupsAt(tariff, eventTimezone(tariff, last.routeId, last.toStopId), last.arrivalMs),
    riderCategoryId: first.riderCategoryId,
    fareMediaId: first.fareMediaId,
  }
}

function matchingRules(tariff: Tariff, facts: SpanFacts, destinationKnown: boolean): LegRule[] {
  const wildcard = tariff.hasRulePriority
  const matches = tariff.legRules.filter((rule) =>
    networkMatches(tariff, rule, facts.networks) &&
    areaMatches(rule.fromAreaId, facts.fromAreas, tariff.listedFromAreaIds, wildcard) &&
    (!destinationKnown || areaMatches(rule.toAreaId, facts.toAreas, tariff.listedToAreaIds, wildcard)) &&
    groupMatches(rule.fromTimeframeGroupId, facts.fromGroups) &&
    (!destinationKnown || groupMatches(rule.toTimeframeGroupId, facts.toGroups)))
  if (!wildcard || !destinationKnown || matches.length === 0) return matches
  let top = -Infinity
  for (const rule of matches) top = Math.max(top, rule.priority)
  return matches.filter((rule) => rule.priority === top)
}

type OptionsOutcome = { readonly ok: true; readonly options: readonly LegOption[] } | { readonly ok: false; readonly problem: string }

function computeOptions(tariff: Tariff, facts: SpanFacts): OptionsOutcome {
  const rules = matchingRules(tariff, facts, true)
  if (rules.length === 0) return { ok: false, problem: 'no fare leg rule matches the leg' }
  const byGroup = new Map<string, LegOption>()
  for (const rule of rules) {
    const product = cheapestProductRow(tariff, rule.productId, facts.riderCategoryId, facts.fareMediaId)
    if (!product) continue
    const key = rule.legGroupId ?? '\u0000'
    const current = byGroup.get(key)
    if (!current || product.amount.lessThan(current.amount)) byGroup.set(key, { legGroupId: rule.legGroupId, rule, product, amount: product.amount })
  }
  if (byGroup.size === 0) return { ok: false, problem: 'the matching fare leg rules have no product for this rider category and fare medium' }
  return { ok: true, options: [...byGroup.values()] }
}

function memoKey(prefix: string, facts: SpanFacts): string {
  return [prefix, facts.networks.join('\u0001'), facts.fromAreas.join('\u0001'), facts.toAreas.join('\u0001'), facts.fromGroups, facts.toGroups ?? '\u0002', facts.riderCategoryId ?? '', facts.fareMediaId ?? ''].join('|')
}

/**
 * The ways a span of legs (one leg, or several joined) can be priced: per leg
 * group the cheapest product of the matching rules. Undefined with a reason
 * when no fare is known.
 */
export function spanOptions(tariff: Tariff, legs: readonly PricingLeg[]): OptionsOutcome {
  const facts = factsOf(tariff, legs)
  const key = memoKey('span', facts)
  let outcome = tariff.memo.get(key) as OptionsOutcome | undefined
  if (!outcome) {
    outcome = computeOptions(tariff, facts)
    tariff.memo.set(key, outcome)
  }
  return outcome
}

export interface MaximumFare { readonly rule: LegRule; readonly product: ProductRow; readonly amount: Decimal }

/**
 * The highest fare any rule could give a leg whose destination is unknown
 * (an incomplete tap-on/tap-off leg), FARES.md section 4.
 */
export function maximumFare(tariff: Tariff, leg: PricingLeg): MaximumFare {
  const facts = factsOf(tariff, [{ ...leg, toStopId: undefined, arrivalMs: undefined }])
  const key = memoKey('max', facts)
  let result = tariff.memo.get(key) as MaximumFare | undefined
  if (!result) {
    for (const rule of matchingRules(tariff, facts, false)) {
      const product = cheapestProductRow(tariff, rule.productId, facts.riderCategoryId, facts.fareMediaId)
      if (product && (result === undefined || product.amount.greaterThan(result.amount))) result = { rule, product, amount: product.amount }
    }
    if (!result) throw fareNotFound(`no fare is known for route ${leg.routeId} from stop ${leg.fromStopId ?? '(none)'}`, { routeId: leg.routeId })
    tariff.memo.set(key, result)
  }
  return result
}
