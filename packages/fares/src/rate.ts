/**
 * Rating a card's taps (docs/fares.md sections 3-5): taps to legs, best fare over
 * the complete legs, maximum fares for incomplete legs, caps in event order,
 * and one charge per distinct tap with its explanation. The same tariff,
 * profile and set of taps always give the same charges, whatever the order
 * or repetition of the taps.
 */
import { Decimal } from '@fare/money'
import { isFareError, requestInvalid } from './errors.ts'
import { sentenceWith, type CapFacts, type Explanation, type JourneyFacts, type LegFacts, type RuleFacts } from './explain.ts'
import { CapLedger, windowFactsOf, type UnitCapCheck } from './caps.ts'
import { checkCallSize, compile, type CompiledTariff } from './compiled.ts'
import { eventTimezone, maximumFare, spanOptions, type LegOption, type PricingLeg } from './leg-rules.ts'
import { tapsToLegs, type LegOptionsResolved, type TapLeg, type TimedTap } from './legs.ts'
import type { LegRule, ProductRow, Tariff } from './model.ts'
import { checkProfile, checkRoute, checkStop, parseTime, type CardProfile, type RateOptions, type Tap } from './request.ts'
import { formatInstant, localTime, parseDate, parseInstant } from './time/zone.ts'
import { bestFare, type BestFare, type PricedSpan } from './transfers.ts'
import { compareCodePoints } from './code-points.ts'

export type ChargeFlag = 'incomplete' | 'unmatched_exit' | 'double_tap' | 'capped' | 'transfer'

export interface Charge {
  readonly tapId: string
  /** The tap's time as given. */
  readonly time: string
  readonly amount: Decimal
  /** Operator of the leg's route; '' if none. */
  readonly agencyId: string
  readonly networkId: string
  /** Stable: the tap id of the journey's first entry. */
  readonly journeyId?: string
  readonly flags: ChargeFlag[]
  /** What the default category would have paid for this leg before caps (concession compensation). */
  readonly fullFare: Decimal
  /** The leg's own fare before transfers and caps (weights of the revenue split). */
  readonly legFare: Decimal
  readonly explanation: Explanation
  readonly sentence: string
}

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

function sameContent(a: TimedTap, b: TimedTap): boolean {
  return a.kind === b.kind && a.routeId === b.routeId && a.stopId === b.stopId && a.deviceId === b.deviceId && a.ms === b.ms
}

/**
 * De-duplicates by tap id (a repeat counts once; different content is a
 * conflict) and sorts by (time, tapId). Copies of one tap may write its time
 * differently (11:19+02:00, 09:19Z); the text that sorts first is kept, so the
 * charges do not depend on which copy came first.
 */
export function normaliseTaps(tariff: Tariff, taps: readonly Tap[]): TimedTap[] {
  const byId = new Map<string, number>()
  const out: TimedTap[] = []
  let sorted = true
  let previous: TimedTap | undefined
  for (let index = 0; index < taps.length; index++) {
    const tap = taps[index] as Tap
    let ms = parseInstant(tap.time)
    if (ms === undefined) ms = parseTime(tap.time, `taps[${index}] (${tap.tapId}).time`)
    // One shape for every tap (absent fields as undefined): keeps the hot code monomorphic.
    const timed = { tapId: tap.tapId, kind: tap.kind, routeId: tap.routeId, stopId: tap.stopId, deviceId: tap.deviceId, time: tap.time, ms } as TimedTap
    const existingAt = byId.get(tap.tapId)
    if (existingAt !== undefined) {
      const existing = out[existingAt] as TimedTap
      if (!sameContent(existing, timed)) throw requestInvalid(`tap ${JSON.stringify(tap.tapId)} appears twice with different content (TAP_CONFLICT)`, { tapId: tap.tapId })
      if (compareCodePoints(timed.time, existing.time) < 0) out[existingAt] = timed
      continue
    }
    if (!tariff.routes.has(tap.routeId)) checkRoute(tariff, tap.routeId, `taps[${index}] (${tap.tapId})`)
    if (tap.stopId !== undefined && tariff.hasStops && !tariff.stops.has(tap.stopId)) checkStop(tariff, tap.stopId, `taps[${index}] (${tap.tapId})`)
    byId.set(tap.tapId, out.length)
    if (previous !== undefined && (previous.ms > ms || (previous.ms === ms && compareCodePoints(previous.tapId, tap.tapId) > 0))) sorted = false
    previous = timed
    out.push(timed)
  }
  return sorted ? out : out.sort(compareTaps)
}

function compareTaps(a: TimedTap, b: TimedTap): number {
  return a.ms - b.ms || compareCodePoints(a.tapId, b.tapId)
}

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

function pricingLeg(tariff: Tariff, leg: TapLeg, riderCategoryId: string | undefined, fareMediaId: string | undefined): PricingLeg {
  const route = tariff.routes.get(leg.entry.routeId)
  return {
    routeId: leg.entry.routeId, networkId: leg.networkId, agencyId: route?.agencyId ?? '',
    fromStopId: leg.entry.stopId, toStopId: leg.exit?.stopId, departureMs: leg.entry.ms, arrivalMs: leg.exit?.ms,
    riderCategoryId, fareMediaId,
  }
}

/** Explanation facts of a rule and product: immutable, so shared by every charge that uses them. */
function ruleFacts(c: CompiledTariff, rule: LegRule, product: ProductRow): RuleFacts {
  let byProduct = c.ruleFacts.get(rule)
  if (!byProduct) {
    byProduct = new Map()
    c.ruleFacts.set(rule, byProduct)
  }
  let facts = byProduct.get(product) as RuleFacts | undefined
  if (!facts) {
    facts = {
      legRuleLine: rule.line, legGroupId: rule.legGroupId, rulePriority: rule.priority,
      fareProductId: product.productId, fareProductName: product.productName, legFare: product.amount,
    }
    byProduct.set(product, facts)
  }
  return facts
}

function capFacts(c: CompiledTariff, checks: readonly UnitCapCheck[]): CapFacts[] {
  const out: CapFacts[] = []
  for (const check of checks) {
    out.push({
      capId: check.cap.capId, period: check.cap.period.kind, capAmount: check.cap.amount,
      window: windowFactsOf(check.window), spentBefore: c.dec(check.spentBefore), headroom: c.dec(check.headroom), limiting: check.limiting,
    })
  }
  return out
}

/** The cheapest own fare of a single leg (for group passengers). */
function ownFare(tariff: Tariff, leg: PricingLeg, tapOut: boolean): { rule: LegRule; product: ProductRow; units: number } {
  if (tapOut) return maximumFare(tariff, leg)
  const outcome = spanOptions(tariff, [leg])
  if (!outcome.ok) return maximumFare(tariff, leg)
  let best: LegOption | undefined
  for (const option of outcome.options) if (!best || option.units < best.units) best = option
  return best as LegOption
}

function fullFareOrSame(compute: () => number, fallback: number): number {
  try {
    return compute()
  } catch (error) {
    if (isFareError(error)) return fallback
    throw error
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
    const order = weights.map((w, i) => ({ i, remainder: (magnitude * BigInt(w)) % total })).sort((a, b) => (a.remainder === b.remainder ? a.i - b.i : a.remainder > b.remainder ? -1 : 1))
    for (const { i } of order) {
      if (left === 0n) break
      whole[i] = (whole[i] as bigint) + 1n
      left--
    }
    const sign = d.increment < 0 ? -1 : 1
    overlapping.forEach((r, i) => shares.set(r.start, (shares.get(r.start) ?? 0) + sign * Number(whole[i] as bigint)))
  }
  return shares
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
  const resolved = resolveOptions(options)
  const sorted = normaliseTaps(tariff, taps)
  const { legs, roles } = tapsToLegs(tariff, sorted, resolved)
  const fallbackCategory = defaultCategoryId(tariff)
  const plainCategory = profile.riderCategoryValidFrom === undefined && profile.riderCategoryValidTo === undefined
  const categories: (string | undefined)[] = new Array(legs.length)
  for (let i = 0; i < legs.length; i++) {
    const leg = legs[i] as TapLeg
    categories[i] = plainCategory ? profile.riderCategoryId : categoryAt(tariff, profile, leg.entry.routeId, leg.entry.stopId, leg.entry.ms)
  }
  const currency = tariff.currency
  const format = c.format
  const say = (explanation: Explanation): string => sentenceWith(explanation, currency, format)

  // Best fare over the complete legs (incomplete and group legs take no part in transfers).
  const completeIndexes: number[] = []
  const pricing: PricingLeg[] = []
  for (let index = 0; index < legs.length; index++) {
    const leg = legs[index] as TapLeg
    if (leg.status !== 'complete') continue
    completeIndexes.push(index)
    pricing.push(pricingLeg(tariff, leg, categories[index], profile.fareMediaId))
  }
  const fare = bestFare(tariff, pricing)
  let needsFullFare = false
  for (const category of categories) if (category !== undefined) { needsFullFare = true; break }
  let fullFare: BestFare | undefined
  if (needsFullFare) {
    try {
      fullFare = bestFare(tariff, pricing.map((leg) => ({ ...leg, riderCategoryId: undefined })))
    } catch (error) {
      if (!isFareError(error)) throw error
    }
  }
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
  if (fullFare) {
    const shares = shareOverSpans(fullFare.spans, fare.spans)
    for (const span of fare.spans) fullIncrementOfLeg[completeIndexes[span.start] as number] = shares.get(span.start) ?? 0
  }
  const journeyIds = fare.journeys.map((j) => (legs[completeIndexes[j.firstLeg] as number] as TapLeg).entry.tapId)

  // Charges per leg, caps in event order (legs are in entry order already).
  const ledger = new CapLedger(tariff)
  const legFacts = (leg: TapLeg, category: string | undefined, agencyId: string): LegFacts => ({
    routeId: leg.entry.routeId, networkId: leg.networkId, agencyId,
    fromStopId: leg.entry.stopId, toStopId: leg.exit?.stopId,
    departure: formatInstant(eventTimezone(tariff, leg.entry.routeId, leg.entry.stopId), leg.entry.ms),
    arrival: leg.exit ? formatInstant(eventTimezone(tariff, leg.exit.routeId, leg.exit.stopId), leg.exit.ms) : undefined,
    riderCategoryId: category ?? fallbackCategory, fareMediaId: profile.fareMediaId,
  })
  const ZERO = c.dec(0)
  const legCharges: Charge[] = new Array(legs.length)
  const legUnits: number[] = new Array(legs.length)
  for (let index = 0; index < legs.length; index++) {
    const leg = legs[index] as TapLeg
    const category = categories[index]
    const agencyId = tariff.routes.get(leg.entry.routeId)?.agencyId ?? ''
    const facts = legFacts(leg, category, agencyId)
    const tapIds = leg.exit ? [leg.entry.tapId, leg.exit.tapId] : [leg.entry.tapId]
    switch (leg.status) {
      case 'incomplete': {
        const max = maximumFare(tariff, pricingLeg(tariff, leg, category, profile.fareMediaId))
        const full = category === undefined ? max.units : fullFareOrSame(() => maximumFare(tariff, pricingLeg(tariff, leg, undefined, profile.fareMediaId)).units, max.units)
        const amount = c.dec(max.units)
        const explanation: Explanation = { kind: 'incomplete', taps: tapIds, leg: facts, rule: ruleFacts(c, max.rule, max.product), amount }
        legUnits[index] = max.units
        legCharges[index] = {
          tapId: leg.entry.tapId, time: leg.entry.time, agencyId, networkId: leg.networkId, journeyId: leg.entry.tapId,
          amount, flags: ['incomplete'], fullFare: c.dec(full), legFare: amount, explanation, sentence: say(explanation),
        }
        break
      }
      case 'group': {
        const tapOut = !tariff.tapOnOnlyNetworkIds.has(leg.networkId)
        const own = ownFare(tariff, pricingLeg(tariff, leg, category, profile.fareMediaId), tapOut)
        const full = category === undefined ? own.units : fullFareOrSame(() => ownFare(tariff, pricingLeg(tariff, leg, undefined, profile.fareMediaId), tapOut).units, own.units)
        const capped = ledger.charge({ departureMs: leg.entry.ms, networkId: leg.networkId, riderCategoryId: category ?? fallbackCategory, fareMediaId: profile.fareMediaId, increment: own.units })
        const amount = c.dec(capped.charge)
        const explanation: Explanation = {
          kind: 'group', taps: tapIds, leg: facts, rule: ruleFacts(c, own.rule, own.product), increment: c.dec(own.units),
          caps: capFacts(c, capped.checks), amount,
        }
        legUnits[index] = capped.charge
        legCharges[index] = {
          tapId: leg.entry.tapId, time: leg.entry.time, agencyId, networkId: leg.networkId, journeyId: leg.entry.tapId,
          amount, flags: capped.capped ? ['capped'] : [], fullFare: c.dec(full), legFare: c.dec(own.units), explanation, sentence: say(explanation),
        }
        break
      }
      case 'complete': {
        const span = spanOfLeg[index]
        if (!span) throw new Error('internal: complete leg without a priced span')
        const position = positionOfLeg[index] as number
        const journeyId = journeyIds[span.journeyIndex] as string
        if (position !== span.start) {
          const firstTap = (legs[completeIndexes[span.start] as number] as TapLeg).entry.tapId
          const explanation: Explanation = { kind: 'joined', taps: tapIds, leg: facts, chargedWithTapId: firstTap, amount: ZERO }
          legUnits[index] = 0
          legCharges[index] = {
            tapId: leg.entry.tapId, time: leg.entry.time, agencyId, networkId: leg.networkId, journeyId,
            amount: ZERO, flags: ['transfer'], fullFare: ZERO, legFare: ZERO, explanation, sentence: say(explanation),
          }
          break
        }
        const capped = ledger.charge({ departureMs: leg.entry.ms, networkId: leg.networkId, riderCategoryId: category ?? fallbackCategory, fareMediaId: profile.fareMediaId, increment: span.increment })
        const transfer = span.transfer
        const journey: JourneyFacts = {
          journeyId, step: span.kind === 'new' ? 'first' : 'transfer',
          transfer: transfer && {
            transferRuleLine: transfer.rule.line, fromLegGroupId: transfer.rule.fromLegGroupId, toLegGroupId: transfer.rule.toLegGroupId,
            fareTransferType: transfer.rule.fareTransferType, fareProductId: transfer.rule.productId, transferAmount: c.dec(transfer.productUnits),
            transferNumber: transfer.transferNumber, durationLimitSeconds: transfer.rule.durationLimitSeconds,
            durationLimitType: transfer.rule.durationLimitType, elapsedSeconds: transfer.elapsedSeconds,
          },
          journeyTotalBefore: c.dec(span.journeyTotalBefore), journeyTotalAfter: c.dec(span.journeyTotalAfter),
        }
        const joinedTapIds: string[] = []
        for (let p = span.start + 1; p <= span.end; p++) joinedTapIds.push((legs[completeIndexes[p] as number] as TapLeg).entry.tapId)
        const amount = c.dec(capped.charge)
        const increment = c.dec(span.increment)
        const explanation: Explanation = {
          kind: 'fare', taps: tapIds, leg: facts, joinedTapIds, rule: ruleFacts(c, span.option.rule, span.option.product),
          journey, increment, caps: capFacts(c, capped.checks), amount,
        }
        const flags: ChargeFlag[] = []
        if (span.kind === 'transfer') flags.push('transfer')
        if (capped.capped) flags.push('capped')
        const full = fullIncrementOfLeg[index] ?? span.increment
        legUnits[index] = capped.charge
        legCharges[index] = {
          tapId: leg.entry.tapId, time: leg.entry.time, agencyId, networkId: leg.networkId, journeyId,
          amount, flags, fullFare: c.dec(full), legFare: span.option.amount, explanation, sentence: say(explanation),
        }
        break
      }
      default: {
        const never: never = leg.status
        throw new Error(`unknown leg status ${String(never)}`)
      }
    }
  }

  // Every other tap: exits, unmatched exits, double taps.
  const charges: Charge[] = []
  let total = 0
  const zeroSentences = new Map<string, string>()
  const sayZero = (explanation: Explanation, key: string): string => {
    let text = zeroSentences.get(key)
    if (text === undefined) {
      text = say(explanation)
      zeroSentences.set(key, text)
    }
    return text
  }
  for (let position = 0; position < sorted.length; position++) {
    const tap = sorted[position] as TimedTap
    const role = roles[position]
    if (!role) throw new Error(`internal: tap ${tap.tapId} has no role`)
    if (role.kind === 'entry') {
      charges.push(legCharges[role.legIndex] as Charge)
      total += legUnits[role.legIndex] as number
      continue
    }
    const route = tariff.routes.get(tap.routeId)
    const agencyId = route?.agencyId ?? ''
    const networkId = route?.networkId ?? ''
    switch (role.kind) {
      case 'exit': {
        const leg = legs[role.legIndex] as TapLeg
        const explanation: Explanation = { kind: 'exit', taps: [tap.tapId], entryTapId: leg.entry.tapId, amount: ZERO }
        const journeyId = legCharges[role.legIndex]?.journeyId
        charges.push({
          tapId: tap.tapId, time: tap.time, amount: ZERO, agencyId, networkId, ...(journeyId === undefined ? {} : { journeyId }),
          flags: [], fullFare: ZERO, legFare: ZERO, explanation, sentence: sayZero(explanation, 'exit'),
        })
        break
      }
      case 'unmatched_exit': {
        const explanation: Explanation = { kind: 'unmatched_exit', taps: [tap.tapId], reason: role.reason, amount: ZERO }
        charges.push({ tapId: tap.tapId, time: tap.time, amount: ZERO, agencyId, networkId, flags: ['unmatched_exit'], fullFare: ZERO, legFare: ZERO, explanation, sentence: sayZero(explanation, role.reason) })
        break
      }
      case 'double_tap': {
        const explanation: Explanation = { kind: 'double_tap', taps: [tap.tapId], firstTapId: role.firstTapId, amount: ZERO }
        charges.push({ tapId: tap.tapId, time: tap.time, amount: ZERO, agencyId, networkId, flags: ['double_tap'], fullFare: ZERO, legFare: ZERO, explanation, sentence: sayZero(explanation, 'double_tap') })
        break
      }
      default: {
        const never: never = role
        throw new Error(`unknown role ${String(never)}`)
      }
    }
  }
  return { currency, total: c.dec(total), charges }
}
