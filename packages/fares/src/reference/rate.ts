/**
 * Rating a card's taps (FARES.md sections 4-6): taps to legs, best fare over
 * the complete legs, maximum fares for incomplete legs, caps in event order,
 * and one charge per distinct tap with its explanation. The same tariff,
 * profile and set of taps always give the same charges, whatever the order
 * or repetition of the taps.
 */
import { Decimal } from '@fare/money'
import { isFareError, requestInvalid } from '../errors.ts'
import { sentence, type CapFacts, type Explanation, type JourneyFacts, type LegFacts, type RuleFacts } from './explain.ts'
import { CapLedger, type CapCheck } from './caps.ts'
import { eventTimezone, maximumFare, spanOptions, type LegOption, type PricingLeg } from './leg-rules.ts'
import { tapsToLegs, type LegOptionsResolved, type TapLeg, type TimedTap } from './legs.ts'
import type { LegRule, ProductRow, Tariff } from '../model.ts'
import { checkProfile, checkRoute, checkStop, parseTime, type CardProfile, type RateOptions, type Tap } from './request.ts'
import { formatInstant, localTime, parseDate } from './zone.ts'
import { bestFare, type BestFare, type PricedSpan } from './transfers.ts'

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

const ZERO = new Decimal(0)

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

/** De-duplicates by tap id (a repeat counts once; different content is a conflict) and sorts by (time, tapId). */
export function normaliseTaps(tariff: Tariff, taps: readonly Tap[]): TimedTap[] {
  const byId = new Map<string, TimedTap>()
  taps.forEach((tap, index) => {
    const where = `taps[${index}] (${tap.tapId})`
    const timed: TimedTap = { ...tap, ms: parseTime(tap.time, `${where}.time`) }
    const existing = byId.get(tap.tapId)
    if (existing) {
      if (!sameContent(existing, timed)) throw requestInvalid(`tap ${JSON.stringify(tap.tapId)} appears twice with different content (TAP_CONFLICT)`, { tapId: tap.tapId })
      return
    }
    checkRoute(tariff, tap.routeId, where)
    checkStop(tariff, tap.stopId, where)
    byId.set(tap.tapId, timed)
  })
  return [...byId.values()].sort((a, b) => a.ms - b.ms || (a.tapId < b.tapId ? -1 : a.tapId > b.tapId ? 1 : 0))
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

function ruleFacts(rule: LegRule, product: ProductRow, amount: Decimal): RuleFacts {
  return {
    legRuleLine: rule.line, legGroupId: rule.legGroupId, rulePriority: rule.priority,
    fareProductId: product.productId, fareProductName: product.productName, legFare: amount,
  }
}

function capFacts(checks: readonly CapCheck[]): CapFacts[] {
  return checks.map((c) => ({
    capId: c.cap.capId, period: c.cap.period.kind, capAmount: c.cap.amount,
    window: { start: c.window.start, end: c.window.end },
    spentBefore: c.spentBefore, headroom: c.headroom, limiting: c.limiting,
  }))
}

/** The cheapest own fare of a single leg (for group passengers). */
function ownFare(tariff: Tariff, leg: PricingLeg, tapOut: boolean): { rule: LegRule; product: ProductRow; amount: Decimal } {
  if (tapOut) return maximumFare(tariff, leg)
  const outcome = spanOptions(tariff, [leg])
  if (!outcome.ok) return maximumFare(tariff, leg)
  let best: LegOption | undefined
  for (const option of outcome.options) if (!best || option.amount.lessThan(best.amount)) best = option
  const chosen = best as LegOption
  return { rule: chosen.rule, product: chosen.product, amount: chosen.amount }
}

export function rate(tariff: Tariff, profile: CardProfile, taps: readonly Tap[], options?: RateOptions): Rating {
  checkProfile(tariff, profile)
  const resolved = resolveOptions(options)
  const sorted = normaliseTaps(tariff, taps)
  const { legs, roles } = tapsToLegs(tariff, sorted, resolved)
  const fallbackCategory = defaultCategoryId(tariff)
  const categories = legs.map((leg) => categoryAt(tariff, profile, leg.entry.routeId, leg.entry.stopId, leg.entry.ms))

  // Best fare over the complete legs (incomplete and group legs take no part in transfers).
  const completeIndexes: number[] = []
  legs.forEach((leg, index) => { if (leg.status === 'complete') completeIndexes.push(index) })
  const pricing = completeIndexes.map((index) => pricingLeg(tariff, legs[index] as TapLeg, categories[index], profile.fareMediaId))
  const fare = bestFare(tariff, pricing)
  const needsFullFare = categories.some((c) => c !== undefined)
  let fullFare: BestFare | undefined
  if (needsFullFare) {
    try {
      fullFare = bestFare(tariff, pricing.map((leg) => ({ ...leg, riderCategoryId: undefined })))
    } catch (error) {
      if (!isFareError(error)) throw error
    }
  }
  const spanOfLeg = new Map<number, { span: PricedSpan; position: number }>()
  const fullIncrementOfLeg = new Map<number, Decimal>()
  for (const span of fare.spans) for (let p = span.start; p <= span.end; p++) spanOfLeg.set(completeIndexes[p] as number, { span, position: p })
  if (fullFare) for (const span of fullFare.spans) fullIncrementOfLeg.set(completeIndexes[span.start] as number, span.increment)
  const journeyIds = fare.journeys.map((j) => (legs[completeIndexes[j.firstLeg] as number] as TapLeg).entry.tapId)

  // Charges per leg, caps in event order (legs are in entry order already).
  const ledger = new CapLedger(tariff)
  const zoneOf = (tap: TimedTap): string => eventTimezone(tariff, tap.routeId, tap.stopId)
  const legFacts = (leg: TapLeg, category: string | undefined): LegFacts => ({
    routeId: leg.entry.routeId, networkId: leg.networkId, agencyId: tariff.routes.get(leg.entry.routeId)?.agencyId ?? '',
    fromStopId: leg.entry.stopId, toStopId: leg.exit?.stopId,
    departure: formatInstant(zoneOf(leg.entry), leg.entry.ms), arrival: leg.exit ? formatInstant(zoneOf(leg.exit), leg.exit.ms) : undefined,
    riderCategoryId: category ?? fallbackCategory, fareMediaId: profile.fareMediaId,
  })
  const legCharges: Charge[] = []
  legs.forEach((leg, index) => {
    const category = categories[index]
    const facts = legFacts(leg, category)
    const agencyId = facts.agencyId
    const taps = leg.exit ? [leg.entry.tapId, leg.exit.tapId] : [leg.entry.tapId]
    const base = { tapId: leg.entry.tapId, time: leg.entry.time, agencyId, networkId: leg.networkId }
    switch (leg.status) {
      case 'incomplete': {
        const max = maximumFare(tariff, pricingLeg(tariff, leg, category, profile.fareMediaId))
        const full = category === undefined ? max.amount : fullFareOrSame(() => maximumFare(tariff, pricingLeg(tariff, leg, undefined, profile.fareMediaId)).amount, max.amount)
        const explanation: Explanation = { kind: 'incomplete', taps, leg: facts, rule: ruleFacts(max.rule, max.product, max.amount), amount: max.amount }
        legCharges.push({ ...base, journeyId: leg.entry.tapId, amount: max.amount, flags: ['incomplete'], fullFare: full, legFare: max.amount, explanation, sentence: sentence(explanation, tariff.currency) })
        return
      }
      case 'group': {
        const tapOut = !tariff.tapOnOnlyNetworkIds.has(leg.networkId)
        const own = ownFare(tariff, pricingLeg(tariff, leg, category, profile.fareMediaId), tapOut)
        const full = category === undefined ? own.amount : fullFareOrSame(() => ownFare(tariff, pricingLeg(tariff, leg, undefined, profile.fareMediaId), tapOut).amount, own.amount)
        const capped = ledger.charge({ departureMs: leg.entry.ms, networkId: leg.networkId, riderCategoryId: category ?? fallbackCategory, fareMediaId: profile.fareMediaId, increment: own.amount })
        const explanation: Explanation = {
          kind: 'group', taps, leg: facts, rule: ruleFacts(own.rule, own.product, own.amount), increment: own.amount,
          caps: capFacts(capped.checks), amount: capped.charge,
        }
        legCharges.push({ ...base, journeyId: leg.entry.tapId, amount: capped.charge, flags: capped.capped ? ['capped'] : [], fullFare: full, legFare: own.amount, explanation, sentence: sentence(explanation, tariff.currency) })
        return
      }
      case 'complete': {
        const found = spanOfLeg.get(index)
        if (!found) throw new Error('internal: complete leg without a priced span')
        const { span, position } = found
        const journeyId = journeyIds[span.journeyIndex] as string
        if (position !== span.start) {
          const firstTap = (legs[completeIndexes[span.start] as number] as TapLeg).entry.tapId
          const explanation: Explanation = { kind: 'joined', taps, leg: facts, chargedWithTapId: firstTap, amount: ZERO }
          legCharges.push({ ...base, journeyId, amount: ZERO, flags: ['transfer'], fullFare: ZERO, legFare: ZERO, explanation, sentence: sentence(explanation, tariff.currency) })
          return
        }
        const capped = ledger.charge({ departureMs: leg.entry.ms, networkId: leg.networkId, riderCategoryId: category ?? fallbackCategory, fareMediaId: profile.fareMediaId, increment: span.increment })
        const transfer = span.transfer
        const journey: JourneyFacts = {
          journeyId, step: span.kind === 'new' ? 'first' : 'transfer',
          transfer: transfer && {
            transferRuleLine: transfer.rule.line, fromLegGroupId: transfer.rule.fromLegGroupId, toLegGroupId: transfer.rule.toLegGroupId,
            fareTransferType: transfer.rule.fareTransferType, fareProductId: transfer.rule.productId, transferAmount: transfer.productAmount,
            transferNumber: transfer.transferNumber, durationLimitSeconds: transfer.rule.durationLimitSeconds,
            durationLimitType: transfer.rule.durationLimitType, elapsedSeconds: transfer.elapsedSeconds,
          },
          journeyTotalBefore: span.journeyTotalBefore, journeyTotalAfter: span.journeyTotalAfter,
        }
        const joinedTapIds: string[] = []
        for (let p = span.start + 1; p <= span.end; p++) joinedTapIds.push((legs[completeIndexes[p] as number] as TapLeg).entry.tapId)
        const explanation: Explanation = {
          kind: 'fare', taps, leg: facts, joinedTapIds, rule: ruleFacts(span.option.rule, span.option.product, span.option.amount),
          journey, increment: span.increment, caps: capFacts(capped.checks), amount: capped.charge,
        }
        const flags: ChargeFlag[] = []
        if (span.kind === 'transfer') flags.push('transfer')
        if (capped.capped) flags.push('capped')
        const full = needsFullFare ? fullIncrementOfLeg.get(index) ?? span.increment : span.increment
        legCharges.push({ ...base, journeyId, amount: capped.charge, flags, fullFare: category === undefined && !needsFullFare ? span.increment : full, legFare: span.option.amount, explanation, sentence: sentence(explanation, tariff.currency) })
        return
      }
      default: {
        const never: never = leg.status
        throw new Error(`unknown leg status ${String(never)}`)
      }
    }
  })

  // Every other tap: exits, unmatched exits, double taps.
  const chargeOfEntry = new Map(legCharges.map((c) => [c.tapId, c]))
  const charges: Charge[] = []
  let total = ZERO
  for (const tap of sorted) {
    const role = roles.get(tap.tapId)
    const agencyId = tariff.routes.get(tap.routeId)?.agencyId ?? ''
    const networkId = tariff.routes.get(tap.routeId)?.networkId ?? ''
    if (!role) throw new Error(`internal: tap ${tap.tapId} has no role`)
    let charge: Charge
    switch (role.kind) {
      case 'entry':
        charge = chargeOfEntry.get(tap.tapId) as Charge
        break
      case 'exit': {
        const leg = legs[role.legIndex] as TapLeg
        const explanation: Explanation = { kind: 'exit', taps: [tap.tapId], entryTapId: leg.entry.tapId, amount: ZERO }
        const journeyId = chargeOfEntry.get(leg.entry.tapId)?.journeyId
        charge = {
          tapId: tap.tapId, time: tap.time, amount: ZERO, agencyId, networkId, ...(journeyId === undefined ? {} : { journeyId }),
          flags: [], fullFare: ZERO, legFare: ZERO, explanation, sentence: sentence(explanation, tariff.currency),
        }
        break
      }
      case 'unmatched_exit': {
        const explanation: Explanation = { kind: 'unmatched_exit', taps: [tap.tapId], reason: role.reason, amount: ZERO }
        charge = { tapId: tap.tapId, time: tap.time, amount: ZERO, agencyId, networkId, flags: ['unmatched_exit'], fullFare: ZERO, legFare: ZERO, explanation, sentence: sentence(explanation, tariff.currency) }
        break
      }
      case 'double_tap': {
        const explanation: Explanation = { kind: 'double_tap', taps: [tap.tapId], firstTapId: role.firstTapId, amount: ZERO }
        charge = { tapId: tap.tapId, time: tap.time, amount: ZERO, agencyId, networkId, flags: ['double_tap'], fullFare: ZERO, legFare: ZERO, explanation, sentence: sentence(explanation, tariff.currency) }
        break
      }
      default: {
        const never: never = role
        throw new Error(`unknown role ${String(never)}`)
      }
    }
    total = total.plus(charge.amount)
    charges.push(charge)
  }
  return { currency: tariff.currency, total, charges }
}

function fullFareOrSame(compute: () => Decimal, fallback: Decimal): Decimal {
  try {
    return compute()
  } catch (error) {
    if (isFareError(error)) return fallback
    throw error
  }
}
