/**
 * Transfers and the best-fare search (FARES.md sections 2-3). Of the ways to
 * cut a card's complete legs into effective legs (joins) and journeys
 * (transfers), the cheapest total wins; between equal totals the grouping
 * that keeps legs in the earlier journey wins. A dynamic programme over the
 * legs in time order keeps, per position, one best path per "journey state"
 * (what a later transfer could depend on), so the search is linear in the
 * number of legs for any real tariff.
 */
import { Decimal } from '@fare/money'
import { fareNotFound } from '../errors.ts'
import { cheapestProductRow, spanOptions, type LegOption, type PricingLeg } from './leg-rules.ts'
import type { ProductRow, Tariff, TransferRule } from '../model.ts'

/** The most legs that one join may merge. */
const MAX_JOINED_LEGS = 8

export interface TransferApplied {
  readonly rule: TransferRule
  /** The n of transfer_count: the n-th consecutive transfer within one group (1 for the first). */
  readonly transferNumber: number
  readonly product: ProductRow | undefined
  readonly productAmount: Decimal
  /** Seconds measured for the duration limit (from the run's first leg), when the rule has one. */
  readonly elapsedSeconds: number | undefined
}

export interface PricedSpan {
  /** First and last leg index of the effective leg (equal unless legs were joined). */
  readonly start: number
  readonly end: number
  readonly option: LegOption
  readonly journeyIndex: number
  readonly kind: 'new' | 'transfer'
  readonly transfer: TransferApplied | undefined
  readonly increment: Decimal
  readonly journeyTotalBefore: Decimal
  readonly journeyTotalAfter: Decimal
}

export interface Journey {
  readonly firstLeg: number
  readonly lastLeg: number
  readonly total: Decimal
}

export interface BestFare {
  readonly total: Decimal
  readonly spans: readonly PricedSpan[]
  readonly journeys: readonly Journey[]
}

interface Node {
  readonly cost: Decimal
  readonly parent: Node | undefined
  readonly start: number
  readonly end: number
  readonly option: LegOption
  readonly optionIndex: number
  readonly kind: 'new' | 'transfer'
  readonly transfer: TransferApplied | undefined
  readonly increment: Decimal
  readonly journeyTotal: Decimal
  readonly legCount: number
  readonly runRule: TransferRule | undefined
  readonly runAnchor: number
  readonly sameGroupCount: number
}

const ZERO = new Decimal(0)

function groupMatches(ruleGroup: string | undefined, group: string | undefined, listed: ReadonlySet<string>): boolean {
  if (ruleGroup !== undefined) return ruleGroup === group
  return group === undefined || !listed.has(group)
}

function stationOf(tariff: Tariff, stopId: string): string {
  return tariff.stops.get(stopId)?.parentStationId ?? stopId
}

/** Whether legs a and b (consecutive) form one effective leg by fare_leg_join_rules.txt. */
export function joins(tariff: Tariff, a: PricingLeg, b: PricingLeg): boolean {
  for (const rule of tariff.joinRules) {
    if (rule.fromNetworkId !== a.networkId || rule.toNetworkId !== b.networkId) continue
    if (rule.fromStopId !== undefined) {
      if (a.toStopId === rule.fromStopId && b.fromStopId === rule.toStopId) return true
    } else if (a.toStopId !== undefined && b.fromStopId !== undefined && stationOf(tariff, a.toStopId) === stationOf(tariff, b.fromStopId)) {
      return true
    }
  }
  return false
}

interface SpanTimes { readonly departureMs: number; readonly arrivalMs: number | undefined }

function spanTimes(legs: readonly PricingLeg[], start: number, end: number): SpanTimes {
  return { departureMs: (legs[start] as PricingLeg).departureMs, arrivalMs: (legs[end] as PricingLeg).arrivalMs }
}

/** Elapsed seconds by duration_limit_type, or undefined where an arrival is missing. */
function elapsedSeconds(type: 0 | 1 | 2 | 3, anchor: SpanTimes, current: SpanTimes): number | undefined {
  const from = type === 0 || type === 1 ? anchor.departureMs : anchor.arrivalMs
  const to = type === 1 || type === 2 ? current.departureMs : current.arrivalMs
  if (from === undefined || to === undefined) return undefined
  return (to - from) / 1000
}

/** Decision per leg along a path: 0 new journey, 1 transfer, 2 joined to the previous leg. */
function decisions(node: Node, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let n: Node | undefined = node; n; n = n.parent) {
    out[n.start] = n.kind === 'new' ? 0 : 1
    for (let j = n.start + 1; j <= n.end; j++) out[j] = 2
  }
  return out
}

/** True when a is the better path: cheaper, or equally cheap and continuing a journey at the first leg where they differ. */
function better(a: Node, b: Node): boolean {
  const c = a.cost.comparedTo(b.cost)
  if (c !== 0) return c < 0
  const length = a.end + 1
  const da = decisions(a, length)
  const db = decisions(b, length)
  for (let j = 0; j < length; j++) {
    const x = da[j] as number, y = db[j] as number
    if (x !== y) {
      const continuesA = x > 0, continuesB = y > 0
      if (continuesA !== continuesB) return continuesA
      return x > y
    }
  }
  return false
}

export function bestFare(tariff: Tariff, legs: readonly PricingLeg[]): BestFare {
  const n = legs.length
  if (n === 0) return { total: ZERO, spans: [], journeys: [] }
  const joinsNext: boolean[] = []
  for (let j = 0; j + 1 < n; j++) joinsNext.push(tariff.joinRules.length > 0 && joins(tariff, legs[j] as PricingLeg, legs[j + 1] as PricingLeg))

  const layers: Map<string, Node>[] = []
  const hasTransfers = tariff.transferRules.length > 0
  for (let i = 0; i < n; i++) {
    const layer = new Map<string, Node>()
    const nextDeparture = i + 1 < n ? (legs[i + 1] as PricingLeg).departureMs : undefined
    let firstProblem: string | undefined
    for (let start = i; start >= 0 && start > i - MAX_JOINED_LEGS; start--) {
      if (start < i && !joinsNext[start]) break
      const outcome = spanOptions(tariff, legs.slice(start, i + 1))
      if (!outcome.ok) {
        if (start === i) firstProblem = outcome.problem
        continue
      }
      const previous = start > 0 ? layers[start - 1] : undefined
      if (start > 0 && (!previous || previous.size === 0)) continue
      const current = spanTimes(legs, start, i)
      const spanLeg = legs[start] as PricingLeg
      outcome.options.forEach((option, optionIndex) => {
        const offer = (node: Node): void => {
          const key = stateKey(tariff, legs, node, nextDeparture)
          const existing = layer.get(key)
          if (!existing || better(node, existing)) layer.set(key, node)
        }
        // A new journey: from the best predecessor.
        let bestPrevious: Node | undefined
        if (previous) for (const p of previous.values()) if (!bestPrevious || better(p, bestPrevious)) bestPrevious = p
        offer({
          cost: (bestPrevious?.cost ?? ZERO).plus(option.amount), parent: bestPrevious, start, end: i, option, optionIndex,
          kind: 'new', transfer: undefined, increment: option.amount, journeyTotal: option.amount, legCount: 1,
          runRule: undefined, runAnchor: start, sameGroupCount: 0,
        })
        if (!previous || !hasTransfers) return
        for (const p of previous.values()) {
          for (const t of transferCandidates(tariff, legs, p, option, current, spanLeg)) {
            const increment = t.rule.fareTransferType === 0 ? t.productAmount
              : t.rule.fareTransferType === 1 ? t.productAmount.plus(option.amount)
              : p.legCount === 1 ? t.productAmount.minus(p.journeyTotal) : t.productAmount
            const sameGroup = t.rule.transferCount !== undefined
            offer({
              cost: p.cost.plus(increment), parent: p, start, end: i, option, optionIndex, kind: 'transfer', transfer: t,
              increment, journeyTotal: p.journeyTotal.plus(increment), legCount: p.legCount + 1,
              runRule: t.rule, runAnchor: p.runRule === t.rule ? p.runAnchor : p.start,
              sameGroupCount: sameGroup ? t.transferNumber : 0,
            })
          }
        }
      })
    }
    if (layer.size === 0) {
      const leg = legs[i] as PricingLeg
      throw fareNotFound(`${firstProblem ?? 'no fare is known for the leg'} (leg ${i + 1}: route ${leg.routeId}${leg.fromStopId ? ` from ${leg.fromStopId}` : ''}${leg.toStopId ? ` to ${leg.toStopId}` : ''})`, { legIndex: i, routeId: leg.routeId })
    }
    layers.push(layer)
  }

  let final: Node | undefined
  for (const node of (layers[n - 1] as Map<string, Node>).values()) if (!final || better(node, final)) final = node
  const path: Node[] = []
  for (let node = final; node; node = node.parent) path.push(node)
  path.reverse()

  const spans: PricedSpan[] = []
  const journeys: Journey[] = []
  let journeyTotal = ZERO
  for (const node of path) {
    if (node.kind === 'new') {
      journeyTotal = ZERO
      journeys.push({ firstLeg: node.start, lastLeg: node.end, total: ZERO })
    }
    const before = journeyTotal
    journeyTotal = journeyTotal.plus(node.increment)
    const index = journeys.length - 1
    const journey = journeys[index] as Journey
    journeys[index] = { firstLeg: journey.firstLeg, lastLeg: node.end, total: journeyTotal }
    spans.push({
      start: node.start, end: node.end, option: node.option, journeyIndex: index, kind: node.kind, transfer: node.transfer,
      increment: node.increment, journeyTotalBefore: before, journeyTotalAfter: journeyTotal,
    })
  }
  return { total: final?.cost ?? ZERO, spans, journeys }
}

function transferCandidates(tariff: Tariff, legs: readonly PricingLeg[], p: Node, option: LegOption, current: SpanTimes, spanLeg: PricingLeg): TransferApplied[] {
  const fromGroup = p.option.legGroupId
  const toGroup = option.legGroupId
  const matching: TransferRule[] = []
  for (const rule of tariff.transferRules) {
    if (groupMatches(rule.fromLegGroupId, fromGroup, tariff.listedFromLegGroupIds) && groupMatches(rule.toLegGroupId, toGroup, tariff.listedToLegGroupIds)) matching.push(rule)
  }
  if (matching.length === 0) return []
  // transfer_count: for the n-th consecutive transfer within the group, the rule with the smallest count >= n.
  const n = p.runRule?.transferCount !== undefined && p.kind === 'transfer' ? p.sameGroupCount + 1 : 1
  let smallest = Infinity
  for (const rule of matching) {
    if (rule.transferCount === undefined) continue
    const count = rule.transferCount === -1 ? Infinity : rule.transferCount
    if (count >= n && count < smallest) smallest = count
  }
  const out: TransferApplied[] = []
  for (const rule of matching) {
    if (rule.transferCount !== undefined) {
      const count = rule.transferCount === -1 ? Infinity : rule.transferCount
      if (count < n || count !== smallest) continue
    }
    let elapsed: number | undefined
    if (rule.durationLimitSeconds !== undefined && rule.durationLimitType !== undefined) {
      const anchorIndex = p.runRule === rule ? p.runAnchor : p.start
      const anchorNodeEnd = anchorEnd(p, anchorIndex)
      elapsed = elapsedSeconds(rule.durationLimitType, spanTimes(legs, anchorIndex, anchorNodeEnd), current)
      if (elapsed === undefined || elapsed > rule.durationLimitSeconds) continue
    }
    let product: ProductRow | undefined
    if (rule.productId !== undefined) {
      product = cheapestProductRow(tariff, rule.productId, spanLeg.riderCategoryId, spanLeg.fareMediaId)
      if (!product) continue
    }
    out.push({ rule, transferNumber: rule.transferCount !== undefined ? n : 1, product, productAmount: product?.amount ?? ZERO, elapsedSeconds: elapsed })
  }
  return out
}

/** The last leg of the effective leg that starts at anchorIndex on p's path. */
function anchorEnd(p: Node, anchorIndex: number): number {
  for (let node: Node | undefined = p; node; node = node.parent) if (node.start === anchorIndex) return node.end
  return anchorIndex
}

/**
 * What a later transfer can depend on. A path from which no transfer rule can
 * still reach the next leg is "closed": all closed paths are equivalent.
 */
function stateKey(tariff: Tariff, legs: readonly PricingLeg[], node: Node, nextDeparture: number | undefined): string {
  if (nextDeparture === undefined || tariff.transferRules.length === 0) return 'closed'
  let open = false
  for (const rule of tariff.transferRules) {
    if (!groupMatches(rule.fromLegGroupId, node.option.legGroupId, tariff.listedFromLegGroupIds)) continue
    if (rule.durationLimitSeconds === undefined || rule.durationLimitType === undefined) { open = true; break }
    const anchorIndex = node.runRule === rule ? node.runAnchor : node.start
    const anchor = spanTimes(legs, anchorIndex, anchorEnd(node, anchorIndex))
    const from = rule.durationLimitType <= 1 ? anchor.departureMs : anchor.arrivalMs
    if (from !== undefined && (nextDeparture - from) / 1000 <= rule.durationLimitSeconds) { open = true; break }
  }
  if (!open) return 'closed'
  const group = node.option.legGroupId ?? ''
  const countCap = (tariff.maxTransferCount.get(group) ?? 0) + 1
  return [node.start, node.optionIndex, node.legCount === 1 ? 1 : 2, node.runRule?.index ?? -1, node.runAnchor, Math.min(node.sameGroupCount, countCap)].join('|')
}
