/**
 * Which product a (possibly joined) leg costs: fare_leg_rules.txt matching on
 * network, areas and timeframes (docs/fares.md section 2), then the cheapest
 * product that fits the rider's category and medium.
 */
import type { Decimal } from '@fare/money'
import { compile, productFits as fits } from './compiled.ts'
import { fareNotFound } from './errors.ts'
import type { LegRule, ProductRow, Tariff } from './model.ts'
import { localTime } from './time/zone.ts'

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
  /** The amount in integer units of the tariff (compiled.ts). */
  readonly units: number
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
    if (
      local.secondOfDay >= frame.startSecond &&
      local.secondOfDay < frame.endSecond &&
      serviceActive(tariff, frame.serviceId, local.dayNumber, local.weekday)
    ) {
      groups.add(frame.groupId)
    }
  }
  return [...groups].sort().join('\u0001')
}

export const productFits = fits

/** The cheapest row of a product for the category and medium; undefined when it has no price for them (memoised per tariff). */
export function cheapestProductRow(
  tariff: Tariff,
  productId: string,
  riderCategoryId: string | undefined,
  fareMediaId: string | undefined,
): ProductRow | undefined {
  return compile(tariff).cheapestRow(productId, riderCategoryId, fareMediaId)
}

function areasOf(tariff: Tariff, stopId: string | undefined): readonly string[] {
  return stopId === undefined ? [] : (tariff.stops.get(stopId)?.areaIds ?? [])
}

/**
 * A listed area field matches a stop when that area is one of its areas. An
 * empty one (without rule_priority) matches a stop in no area, or in several
 * when any one of them is listed by no rule of the column (docs/fares.md,
 * "How a journey is priced").
 */
function areaMatches(ruleArea: string | undefined, areas: readonly string[], listed: ReadonlySet<string>, wildcard: boolean): boolean {
  if (ruleArea !== undefined) return areas.includes(ruleArea)
  return wildcard || areas.length === 0 || areas.some((area) => !listed.has(area))
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

/**
 * The rules that apply to a span. Without rule_priority every matching rule
 * is exact (each of its non-empty fields matches; its empty network and area
 * fields match what no rule lists), so all of them apply and the cheapest
 * product wins; with rule_priority, those of the highest priority.
 */
function matchingRules(tariff: Tariff, facts: SpanFacts, destinationKnown: boolean): LegRule[] {
  const wildcard = tariff.hasRulePriority
  const matches = tariff.legRules.filter(
    (rule) =>
      networkMatches(tariff, rule, facts.networks) &&
      areaMatches(rule.fromAreaId, facts.fromAreas, tariff.listedFromAreaIds, wildcard) &&
      (!destinationKnown || areaMatches(rule.toAreaId, facts.toAreas, tariff.listedToAreaIds, wildcard)) &&
      groupMatches(rule.fromTimeframeGroupId, facts.fromGroups) &&
      (!destinationKnown || groupMatches(rule.toTimeframeGroupId, facts.toGroups)),
  )
  if (!wildcard || !destinationKnown || matches.length === 0) return matches
  let top = -Infinity
  for (const rule of matches) top = Math.max(top, rule.priority)
  return matches.filter((rule) => rule.priority === top)
}

type OptionsOutcome = { readonly ok: true; readonly options: readonly LegOption[] } | { readonly ok: false; readonly problem: string }

function computeOptions(tariff: Tariff, facts: SpanFacts): OptionsOutcome {
  const rules = matchingRules(tariff, facts, true)
  if (rules.length === 0) return { ok: false, problem: 'no fare leg rule matches the leg' }
  const units = compile(tariff).productUnits
  const byGroup = new Map<string, LegOption>()
  for (const rule of rules) {
    const product = cheapestProductRow(tariff, rule.productId, facts.riderCategoryId, facts.fareMediaId)
    if (!product) continue
    const key = rule.legGroupId ?? '\u0000'
    const current = byGroup.get(key)
    const amountUnits = units.get(product) as number
    if (!current || amountUnits < current.units) byGroup.set(key, { legGroupId: rule.legGroupId, rule, product, amount: product.amount, units: amountUnits })
  }
  if (byGroup.size === 0) return { ok: false, problem: 'the matching fare leg rules have no product for this rider category and fare medium' }
  return { ok: true, options: [...byGroup.values()] }
}

/**
 * The memo key of a span: what matching depends on. Stops enter through their
 * areas only, times through the timeframe groups in force (nothing when the
 * feed has no timeframes).
 */
function spanKey(tariff: Tariff, prefix: string, legs: readonly PricingLeg[], destinationKnown: boolean): string {
  const c = compile(tariff)
  const first = legs[0] as PricingLeg
  const last = legs[legs.length - 1] as PricingLeg
  let networks = first.networkId
  for (let i = 1; i < legs.length; i++) networks += `\u0001${(legs[i] as PricingLeg).networkId}`
  const timed = tariff.timeframes.length > 0
  const fromGroups = timed ? timeframeGroupsAt(tariff, eventTimezone(tariff, first.routeId, first.fromStopId), first.departureMs) : ''
  const toStop = destinationKnown ? last.toStopId : undefined
  const arrival = destinationKnown ? last.arrivalMs : undefined
  const toGroups = arrival === undefined ? '\u0002' : timed ? timeframeGroupsAt(tariff, eventTimezone(tariff, last.routeId, last.toStopId), arrival) : ''
  return (
    `${prefix}|${networks}|${c.areasKey(first.fromStopId)}|${c.areasKey(toStop)}|` +
    `${fromGroups}|${toGroups}|${first.riderCategoryId ?? ''}|${first.fareMediaId ?? ''}`
  )
}

/**
 * The ways a span of legs (one leg, or several joined) can be priced: per leg
 * group the cheapest product of the matching rules. Undefined with a reason
 * when no fare is known.
 */
export function spanOptions(tariff: Tariff, legs: readonly PricingLeg[]): OptionsOutcome {
  if (legs.length === 1) return singleLegOutcome(tariff, legs[0] as PricingLeg, true) as OptionsOutcome
  const memo = compile(tariff).memo
  const key = spanKey(tariff, 'span', legs, true)
  let outcome = memo.get(key) as OptionsOutcome | undefined
  if (!outcome) {
    outcome = computeOptions(tariff, factsOf(tariff, legs))
    memo.set(key, outcome)
  }
  return outcome
}

type Nested = Map<unknown, unknown>
const singleLegMemo = new WeakMap<Tariff, { span: Nested; max: Nested }>()

/**
 * The memo of one-leg spans (nearly every leg) without building a string key:
 * nested maps by network, origin stop, destination stop (or "unknown"), then
 * the timeframe groups when the feed has timeframes, category and medium.
 * Keyed by stops rather than their areas: finer, so the same outcomes.
 */
function singleLegOutcome(tariff: Tariff, leg: PricingLeg, destinationKnown: boolean): OptionsOutcome | MaximumFare {
  let memos = singleLegMemo.get(tariff)
  if (!memos) {
    memos = { span: new Map(), max: new Map() }
    singleLegMemo.set(tariff, memos)
  }
  const arrival = destinationKnown ? leg.arrivalMs : undefined
  let map = step(step(step(destinationKnown ? memos.span : memos.max, leg.networkId), leg.fromStopId), arrival === undefined ? NO_DESTINATION : leg.toStopId)
  if (tariff.timeframes.length > 0) {
    map = step(map, timeframeGroupsAt(tariff, eventTimezone(tariff, leg.routeId, leg.fromStopId), leg.departureMs))
    map = step(map, arrival === undefined ? '' : timeframeGroupsAt(tariff, eventTimezone(tariff, leg.routeId, leg.toStopId), arrival))
  }
  map = step(map, leg.riderCategoryId)
  let outcome = map.get(leg.fareMediaId) as OptionsOutcome | MaximumFare | undefined
  if (!outcome) {
    outcome = destinationKnown ? computeOptions(tariff, factsOf(tariff, [leg])) : computeMaximumFare(tariff, leg)
    map.set(leg.fareMediaId, outcome)
  }
  return outcome
}

const NO_DESTINATION = Symbol('no destination')

function step(map: Nested, key: unknown): Nested {
  let next = map.get(key) as Nested | undefined
  if (!next) {
    next = new Map()
    map.set(key, next)
  }
  return next
}

export interface MaximumFare {
  readonly rule: LegRule
  readonly product: ProductRow
  readonly amount: Decimal
  readonly units: number
}

/**
 * The highest fare any rule could give a leg whose destination is unknown
 * (an incomplete tap-on/tap-off leg), docs/fares.md section 3.
 */
export function maximumFare(tariff: Tariff, leg: PricingLeg): MaximumFare {
  return singleLegOutcome(tariff, leg, false) as MaximumFare
}

function computeMaximumFare(tariff: Tariff, leg: PricingLeg): MaximumFare {
  const c = compile(tariff)
  const facts = factsOf(tariff, [{ ...leg, toStopId: undefined, arrivalMs: undefined }])
  let best: { rule: LegRule; product: ProductRow; units: number } | undefined
  for (const rule of matchingRules(tariff, facts, false)) {
    const product = cheapestProductRow(tariff, rule.productId, facts.riderCategoryId, facts.fareMediaId)
    if (!product) continue
    const units = c.productUnits.get(product) as number
    if (best === undefined || units > best.units) best = { rule: rule, product, units }
  }
  if (!best) throw fareNotFound(`no fare is known for route ${leg.routeId} from stop ${leg.fromStopId ?? '(none)'}`, { routeId: leg.routeId })
  return { rule: best.rule, product: best.product, amount: best.product.amount, units: best.units }
}
