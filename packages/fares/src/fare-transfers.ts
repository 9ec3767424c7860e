/**
 * Fare transfers (GTFS fare_transfer_rules.txt; not the ledger's money
 * transfers) and the best-fare search (docs/fares.md section 2). Of the ways to
 * cut a card's complete legs into effective legs (joins) and journeys
 * (transfers), the cheapest total wins; between equal totals the grouping
 * that keeps legs in the earlier journey wins. A dynamic programme over the
 * legs in time order keeps, per position, one best path per "journey state"
 * (what a later transfer could depend on), so the search is linear in the
 * number of legs for any real tariff.
 */
import type { Decimal } from '@fare/money'
import { type CompiledTariff, compile } from './compiled.ts'
import { fareNotFound } from './errors.ts'
import { type LegOption, type PricingLeg, spanOptions } from './leg-rules.ts'
import type { FareTransferRule, ProductRow, Tariff } from './model.ts'

/** The most legs that one join may merge. */
const MAX_JOINED_LEGS = 8

/** A fare transfer as the price command reports it. */
export interface FareTransferApplied {
  readonly rule: FareTransferRule
  readonly transferNumber: number
  readonly product: ProductRow | undefined
  readonly productAmount: Decimal
  readonly elapsedSeconds: number | undefined
}

/** A transfer taken, with money in integer units (compiled.ts). */
export interface FareTransferTaken {
  readonly rule: FareTransferRule
  /** The n of transfer_count: the n-th consecutive transfer within one group (1 for the first). */
  readonly transferNumber: number
  readonly product: ProductRow | undefined
  readonly productUnits: number
  /** Seconds measured for the duration limit (from the run's first leg), when the rule has one. */
  readonly elapsedSeconds: number | undefined
}

/** Money in integer units of the tariff (see compiled.ts). */
export interface PricedSpan {
  /** First and last leg index of the effective leg (equal unless legs were joined). */
  readonly start: number
  readonly end: number
  readonly option: LegOption
  readonly journeyIndex: number
  readonly kind: 'new' | 'transfer'
  readonly transfer: FareTransferTaken | undefined
  readonly increment: number
  readonly journeyTotalBefore: number
  readonly journeyTotalAfter: number
}

export interface Journey {
  readonly firstLeg: number
  readonly lastLeg: number
  readonly total: number
}

export interface BestFare {
  readonly total: number
  readonly spans: readonly PricedSpan[]
  readonly journeys: readonly Journey[]
}

interface Node {
  readonly cost: number
  readonly parent: Node | undefined
  readonly start: number
  readonly end: number
  readonly option: LegOption
  readonly optionIndex: number
  readonly kind: 'new' | 'transfer'
  readonly transfer: FareTransferTaken | undefined
  readonly increment: number
  readonly journeyTotal: number
  readonly legCount: number
  readonly runRule: FareTransferRule | undefined
  readonly runAnchor: number
  readonly sameGroupCount: number
  /** Identity of the node's journey state (what a later transfer can depend on); CLOSED when none can. */
  readonly state: string
}

const CLOSED = 'closed'

function stationOf(tariff: Tariff, stopId: string): string {
  return tariff.stops.get(stopId)?.stationId ?? stopId
}

/** Whether a join rule's stop id names the stop itself or its station (a station covers its platforms). */
function stopMatches(tariff: Tariff, ruleStopId: string, stopId: string | undefined): boolean {
  return stopId !== undefined && (stopId === ruleStopId || stationOf(tariff, stopId) === ruleStopId)
}

/** Whether legs a and b (consecutive) form one effective leg by fare_leg_join_rules.txt. */
export function joins(tariff: Tariff, a: PricingLeg, b: PricingLeg): boolean {
  for (const rule of tariff.joinRules) {
    if (rule.fromNetworkId !== a.networkId || rule.toNetworkId !== b.networkId) continue
    if (rule.fromStopId !== undefined && rule.toStopId !== undefined) {
      if (stopMatches(tariff, rule.fromStopId, a.toStopId) && stopMatches(tariff, rule.toStopId, b.fromStopId)) return true
    } else if (a.toStopId !== undefined && b.fromStopId !== undefined && stationOf(tariff, a.toStopId) === stationOf(tariff, b.fromStopId)) {
      return true
    }
  }
  return false
}

/** Elapsed seconds by duration_limit_type, or undefined where an arrival is missing. */
function elapsedSeconds(
  type: 0 | 1 | 2 | 3,
  legs: readonly PricingLeg[],
  anchorStart: number,
  anchorEnd: number,
  start: number,
  end: number,
): number | undefined {
  const from = type === 0 || type === 1 ? (legs[anchorStart] as PricingLeg).departureMs : (legs[anchorEnd] as PricingLeg).arrivalMs
  const to = type === 1 || type === 2 ? (legs[start] as PricingLeg).departureMs : (legs[end] as PricingLeg).arrivalMs
  if (from === undefined || to === undefined) return undefined
  return (to - from) / 1000
}

/** Decision at a leg of a node: 0 new journey, 1 transfer, 2 joined to the previous leg. */
function decisionAt(node: Node, leg: number): number {
  return leg > node.start ? 2 : node.kind === 'new' ? 0 : 1
}

/**
 * True when a is the better path: cheaper, or equally cheap and continuing a
 * journey at the first leg where they differ. Paths that share a node agree
 * on every leg up to it, so only the parts after their last common node are
 * compared (a and b always end at the same leg).
 */
function better(a: Node, b: Node): boolean {
  if (a.cost !== b.cost) return a.cost < b.cost
  const xs: Node[] = []
  const ys: Node[] = []
  let x: Node | undefined = a
  let y: Node | undefined = b
  while (x !== y) {
    const xe = x ? x.end : -1
    const ye = y ? y.end : -1
    if (xe >= ye) {
      xs.push(x as Node)
      x = (x as Node).parent
    }
    if (ye >= xe) {
      ys.push(y as Node)
      y = (y as Node).parent
    }
  }
  // xs and ys cover the same legs (from after the common node to the end), latest first.
  let i = xs.length - 1
  let j = ys.length - 1
  let leg = (xs[i] as Node).start
  const last = a.end
  while (leg <= last) {
    let nx = xs[i] as Node
    let ny = ys[j] as Node
    while (nx.end < leg) nx = xs[--i] as Node
    while (ny.end < leg) ny = ys[--j] as Node
    const dx = decisionAt(nx, leg),
      dy = decisionAt(ny, leg)
    if (dx !== dy) {
      const continuesA = dx > 0,
        continuesB = dy > 0
      if (continuesA !== continuesB) return continuesA
      return dx > dy
    }
    leg++
  }
  return false
}

/** Best fare with money in integer units (see compiled.ts). */
export function bestFare(tariff: Tariff, legs: readonly PricingLeg[]): BestFare {
  const n = legs.length
  if (n === 0) return { total: 0, spans: [], journeys: [] }
  const c = compile(tariff)
  const hasJoins = tariff.joinRules.length > 0
  const joinsNext: boolean[] = []
  if (hasJoins) for (let j = 0; j + 1 < n; j++) joinsNext.push(joins(tariff, legs[j] as PricingLeg, legs[j + 1] as PricingLeg))

  /** Per leg, the best node per journey state (few: usually one or two). */
  const layers: Node[][] = []
  const hasFareTransferRules = tariff.fareTransferRules.length > 0
  const single: PricingLeg[] = [legs[0] as PricingLeg]
  for (let i = 0; i < n; i++) {
    const layer: Node[] = []
    const nextDeparture = i + 1 < n ? (legs[i + 1] as PricingLeg).departureMs : undefined
    let firstProblem: string | undefined
    for (let start = i; start >= 0 && start > i - MAX_JOINED_LEGS; start--) {
      if (start < i && !joinsNext[start]) break
      let spanLegs: readonly PricingLeg[]
      if (start === i) {
        single[0] = legs[i] as PricingLeg
        spanLegs = single
      } else spanLegs = legs.slice(start, i + 1)
      const outcome = spanOptions(tariff, spanLegs)
      if (!outcome.ok) {
        if (start === i) firstProblem = outcome.problem
        continue
      }
      const previous = start > 0 ? layers[start - 1] : undefined
      if (start > 0 && (!previous || previous.length === 0)) continue
      // A new journey: from the best predecessor.
      let bestPrevious: Node | undefined
      if (previous) for (const p of previous) if (!bestPrevious || better(p, bestPrevious)) bestPrevious = p
      const spanLeg = legs[start] as PricingLeg
      const options = outcome.options
      for (let optionIndex = 0; optionIndex < options.length; optionIndex++) {
        const option = options[optionIndex] as LegOption
        offer(
          layer,
          makeNode(c, tariff, legs, nextDeparture, {
            cost: (bestPrevious?.cost ?? 0) + option.units,
            parent: bestPrevious,
            start,
            end: i,
            option,
            optionIndex,
            kind: 'new',
            transfer: undefined,
            increment: option.units,
            journeyTotal: option.units,
            legCount: 1,
            runRule: undefined,
            runAnchor: start,
            sameGroupCount: 0,
            state: CLOSED,
          }),
        )
        if (!previous || !hasFareTransferRules) continue
        for (const p of previous) {
          const candidates = fareTransferCandidates(c, legs, p, option, start, i, spanLeg)
          if (candidates === undefined) continue
          for (const t of candidates) {
            const type = t.rule.fareTransferType
            const increment =
              type === 0 ? t.productUnits : type === 1 ? t.productUnits + option.units : p.legCount === 1 ? t.productUnits - p.journeyTotal : t.productUnits
            const sameGroup = t.rule.transferCount !== undefined
            offer(
              layer,
              makeNode(c, tariff, legs, nextDeparture, {
                cost: p.cost + increment,
                parent: p,
                start,
                end: i,
                option,
                optionIndex,
                kind: 'transfer',
                transfer: t,
                increment,
                journeyTotal: p.journeyTotal + increment,
                legCount: p.legCount + 1,
                runRule: t.rule,
                runAnchor: p.runRule === t.rule ? p.runAnchor : p.start,
                sameGroupCount: sameGroup ? t.transferNumber : 0,
                state: CLOSED,
              }),
            )
          }
        }
      }
    }
    if (layer.length === 0) {
      const leg = legs[i] as PricingLeg
      throw fareNotFound(
        `${firstProblem ?? 'no fare is known for the leg'} (leg ${i + 1}: route ${leg.routeId}` +
          `${leg.fromStopId ? ` from ${leg.fromStopId}` : ''}${leg.toStopId ? ` to ${leg.toStopId}` : ''})`,
        { legIndex: i, routeId: leg.routeId },
      )
    }
    layers.push(layer)
  }

  let final: Node | undefined
  for (const node of layers[n - 1] as Node[]) if (!final || better(node, final)) final = node
  const path: Node[] = []
  for (let node = final; node; node = node.parent) path.push(node)
  path.reverse()

  const spans: PricedSpan[] = []
  const journeys: Journey[] = []
  let journeyTotal = 0
  for (const node of path) {
    if (node.kind === 'new') {
      journeyTotal = 0
      journeys.push({ firstLeg: node.start, lastLeg: node.end, total: 0 })
    }
    const before = journeyTotal
    journeyTotal = journeyTotal + node.increment
    const index = journeys.length - 1
    const journey = journeys[index] as Journey
    journeys[index] = { firstLeg: journey.firstLeg, lastLeg: node.end, total: journeyTotal }
    spans.push({
      start: node.start,
      end: node.end,
      option: node.option,
      journeyIndex: index,
      kind: node.kind,
      transfer: node.transfer,
      increment: node.increment,
      journeyTotalBefore: before,
      journeyTotalAfter: journeyTotal,
    })
  }
  return { total: final?.cost ?? 0, spans, journeys }
}

/** Keeps the better of the node and the layer's node of the same state. */
function offer(layer: Node[], node: Node): void {
  for (let k = 0; k < layer.length; k++) {
    const existing = layer[k] as Node
    if (existing.state === node.state) {
      if (better(node, existing)) layer[k] = node
      return
    }
  }
  layer.push(node)
}

function makeNode(c: CompiledTariff, tariff: Tariff, legs: readonly PricingLeg[], nextDeparture: number | undefined, fields: Node): Node {
  ;(fields as { state: string }).state = stateKey(c, tariff, legs, fields, nextDeparture)
  return fields
}

function fareTransferCandidates(
  c: CompiledTariff,
  legs: readonly PricingLeg[],
  p: Node,
  option: LegOption,
  start: number,
  end: number,
  spanLeg: PricingLeg,
): FareTransferTaken[] | undefined {
  const matching = c.fareTransferRulesBetween(p.option.legGroupId, option.legGroupId)
  if (matching.length === 0) return undefined
  // transfer_count: for the n-th consecutive transfer within the group, the rule with the smallest count >= n.
  const n = p.runRule?.transferCount !== undefined && p.kind === 'transfer' ? p.sameGroupCount + 1 : 1
  let smallest = Infinity
  for (const rule of matching) {
    if (rule.transferCount === undefined) continue
    const count = rule.transferCount === -1 ? Infinity : rule.transferCount
    if (count >= n && count < smallest) smallest = count
  }
  let out: FareTransferTaken[] | undefined
  for (const rule of matching) {
    if (rule.transferCount !== undefined) {
      const count = rule.transferCount === -1 ? Infinity : rule.transferCount
      if (count < n || count !== smallest) continue
    }
    let elapsed: number | undefined
    if (rule.durationLimitSeconds !== undefined && rule.durationLimitType !== undefined) {
      const anchorIndex = p.runRule === rule ? p.runAnchor : p.start
      elapsed = elapsedSeconds(rule.durationLimitType, legs, anchorIndex, anchorEnd(p, anchorIndex), start, end)
      if (elapsed === undefined || elapsed > rule.durationLimitSeconds) continue
    }
    let product: ProductRow | undefined
    if (rule.productId !== undefined) {
      product = c.cheapestRow(rule.productId, spanLeg.riderCategoryId, spanLeg.fareMediaId)
      if (!product) continue
    }
    out ??= []
    out.push({
      rule,
      transferNumber: rule.transferCount !== undefined ? n : 1,
      product,
      productUnits: product ? (c.productUnits.get(product) as number) : 0,
      elapsedSeconds: elapsed,
    })
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
function stateKey(c: CompiledTariff, tariff: Tariff, legs: readonly PricingLeg[], node: Node, nextDeparture: number | undefined): string {
  if (nextDeparture === undefined || tariff.fareTransferRules.length === 0) return CLOSED
  let open = false
  for (const rule of c.fareTransferRulesFrom(node.option.legGroupId)) {
    if (rule.durationLimitSeconds === undefined || rule.durationLimitType === undefined) {
      open = true
      break
    }
    const anchorIndex = node.runRule === rule ? node.runAnchor : node.start
    const from = rule.durationLimitType <= 1 ? (legs[anchorIndex] as PricingLeg).departureMs : (legs[anchorEnd(node, anchorIndex)] as PricingLeg).arrivalMs
    if (from !== undefined && (nextDeparture - from) / 1000 <= rule.durationLimitSeconds) {
      open = true
      break
    }
  }
  if (!open) return CLOSED
  const group = node.option.legGroupId ?? ''
  const countCap = (tariff.maxTransferCount.get(group) ?? 0) + 1
  return (
    `${node.start}|${node.optionIndex}|${node.legCount === 1 ? 1 : 2}|${node.runRule?.index ?? -1}|` +
    `${node.runAnchor}|${Math.min(node.sameGroupCount, countCap)}`
  )
}
