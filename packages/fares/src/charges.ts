/**
 * The last steps of rating (docs/fares.md sections 3-4): one charge per leg,
 * capped in event order, then one charge per distinct tap (exits, unmatched
 * exits and double taps are 0.00), each with its explanation (section 3.1).
 */
import type { Decimal } from '@fare/money'
import { CapLedger, type UnitCapCheck, windowFactsOf } from './caps.ts'
import type { CompiledTariff } from './compiled.ts'
import type { CapFacts, Explanation, JourneyFacts, LegFacts, RuleFacts } from './explain.ts'
import { fullFareOrSame, type JourneyPricing, ownFare, pricingLeg } from './journeys.ts'
import { eventTimezone, maximumFare } from './leg-rules.ts'
import type { TapLeg, TapRole, TimedTap } from './legs.ts'
import type { LegRule, ProductRow, Tariff } from './model.ts'
import type { CardProfile } from './request.ts'
import { formatInstant } from './time/zone.ts'

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
  /** The leg's own fare before fare transfers and caps (weights of the revenue split). */
  readonly legFare: Decimal
  readonly explanation: Explanation
  readonly sentence: string
}

/** What every charge of one rating shares. */
export interface ChargeContext {
  readonly tariff: Tariff
  readonly c: CompiledTariff
  readonly profile: CardProfile
  /** The default category, as caps and explanations name it. */
  readonly fallbackCategory: string | undefined
  readonly zero: Decimal
  readonly say: (explanation: Explanation) => string
}

/** The charges of the legs' entry taps, in leg order, and their amounts in integer units. */
export interface LegCharges {
  readonly charges: Charge[]
  readonly units: number[]
}

/** A leg's charge: what every charge takes from the leg's entry tap, the given figures, and the explanation in words. */
function legCharge(
  ctx: ChargeContext,
  leg: TapLeg,
  agencyId: string,
  journeyId: string,
  figures: Pick<Charge, 'amount' | 'flags' | 'fullFare' | 'legFare' | 'explanation'>,
): Charge {
  // Fields listed rather than spread: this runs for every leg, and a literal keeps one object shape.
  const { amount, flags, fullFare, legFare, explanation } = figures
  return {
    tapId: leg.entry.tapId,
    time: leg.entry.time,
    agencyId,
    networkId: leg.networkId,
    journeyId,
    amount,
    flags,
    fullFare,
    legFare,
    explanation,
    sentence: ctx.say(explanation),
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
      legRuleLine: rule.line,
      legGroupId: rule.legGroupId,
      rulePriority: rule.priority,
      fareProductId: product.productId,
      fareProductName: product.productName,
      legFare: product.amount,
    }
    byProduct.set(product, facts)
  }
  return facts
}

function capFacts(c: CompiledTariff, checks: readonly UnitCapCheck[]): CapFacts[] {
  const out: CapFacts[] = []
  for (const check of checks) {
    out.push({
      capId: check.cap.capId,
      period: check.cap.period.kind,
      capAmount: check.cap.amount,
      window: windowFactsOf(check.window),
      spentBefore: c.dec(check.spentBefore),
      headroom: c.dec(check.headroom),
      limiting: check.limiting,
    })
  }
  return out
}

function legFacts(ctx: ChargeContext, leg: TapLeg, category: string | undefined, agencyId: string): LegFacts {
  const tariff = ctx.tariff
  return {
    routeId: leg.entry.routeId,
    networkId: leg.networkId,
    agencyId,
    fromStopId: leg.entry.stopId,
    toStopId: leg.exit?.stopId,
    departure: formatInstant(eventTimezone(tariff, leg.entry.routeId, leg.entry.stopId), leg.entry.ms),
    arrival: leg.exit ? formatInstant(eventTimezone(tariff, leg.exit.routeId, leg.exit.stopId), leg.exit.ms) : undefined,
    riderCategoryId: category ?? ctx.fallbackCategory,
    fareMediaId: ctx.profile.fareMediaId,
  }
}

/** Charges per leg, caps in event order (legs are in entry order already). */
export function chargeLegs(ctx: ChargeContext, legs: readonly TapLeg[], categories: readonly (string | undefined)[], journeys: JourneyPricing): LegCharges {
  const ledger = new CapLedger(ctx.tariff)
  const charges: Charge[] = new Array(legs.length)
  const units: number[] = new Array(legs.length)
  for (let index = 0; index < legs.length; index++) {
    const leg = legs[index] as TapLeg
    const category = categories[index]
    switch (leg.status) {
      case 'incomplete':
        chargeIncompleteLeg(ctx, leg, category, index, charges, units)
        break
      case 'group':
        chargeGroupLeg(ctx, ledger, leg, category, index, charges, units)
        break
      case 'complete':
        chargeCompleteLeg(ctx, ledger, legs, journeys, category, index, charges, units)
        break
      default: {
        const never: never = leg.status
        throw new Error(`unknown leg status ${String(never)}`)
      }
    }
  }
  return { charges, units }
}

const tapIdsOf = (leg: TapLeg): string[] => (leg.exit ? [leg.entry.tapId, leg.exit.tapId] : [leg.entry.tapId])
const agencyOf = (tariff: Tariff, leg: TapLeg): string => tariff.routes.get(leg.entry.routeId)?.agencyId ?? ''

/** A leg without its exit: the highest fare from its origin, no fare transfers, outside caps. */
function chargeIncompleteLeg(ctx: ChargeContext, leg: TapLeg, category: string | undefined, index: number, charges: Charge[], units: number[]): void {
  const { tariff, c, profile } = ctx
  const agencyId = agencyOf(tariff, leg)
  const max = maximumFare(tariff, pricingLeg(tariff, leg, category, profile.fareMediaId))
  const full =
    category === undefined ? max.units : fullFareOrSame(() => maximumFare(tariff, pricingLeg(tariff, leg, undefined, profile.fareMediaId)).units, max.units)
  const amount = c.dec(max.units)
  const explanation: Explanation = {
    kind: 'incomplete',
    taps: tapIdsOf(leg),
    leg: legFacts(ctx, leg, category, agencyId),
    rule: ruleFacts(c, max.rule, max.product),
    amount,
  }
  units[index] = max.units
  charges[index] = legCharge(ctx, leg, agencyId, leg.entry.tapId, { amount, flags: ['incomplete'], fullFare: c.dec(full), legFare: amount, explanation })
}

/** Another passenger on a group tap: their own cheapest fare, capped. */
function chargeGroupLeg(
  ctx: ChargeContext,
  ledger: CapLedger,
  leg: TapLeg,
  category: string | undefined,
  index: number,
  charges: Charge[],
  units: number[],
): void {
  const { tariff, c, profile } = ctx
  const agencyId = agencyOf(tariff, leg)
  const facts = legFacts(ctx, leg, category, agencyId)
  const tapOut = !tariff.tapOnOnlyNetworkIds.has(leg.networkId)
  const own = ownFare(tariff, pricingLeg(tariff, leg, category, profile.fareMediaId), tapOut)
  const full =
    category === undefined ? own.units : fullFareOrSame(() => ownFare(tariff, pricingLeg(tariff, leg, undefined, profile.fareMediaId), tapOut).units, own.units)
  const capped = ledger.charge({
    departureMs: leg.entry.ms,
    networkId: leg.networkId,
    riderCategoryId: category ?? ctx.fallbackCategory,
    fareMediaId: profile.fareMediaId,
    increment: own.units,
  })
  const amount = c.dec(capped.charge)
  const explanation: Explanation = {
    kind: 'group',
    taps: tapIdsOf(leg),
    leg: facts,
    rule: ruleFacts(c, own.rule, own.product),
    increment: c.dec(own.units),
    caps: capFacts(c, capped.checks),
    amount,
  }
  units[index] = capped.charge
  charges[index] = legCharge(ctx, leg, agencyId, leg.entry.tapId, {
    amount,
    flags: capped.capped ? ['capped'] : [],
    fullFare: c.dec(full),
    legFare: c.dec(own.units),
    explanation,
  })
}

/** A complete leg: its span's increment, capped; a leg joined into an earlier one's span is 0.00. */
function chargeCompleteLeg(
  ctx: ChargeContext,
  ledger: CapLedger,
  legs: readonly TapLeg[],
  journeys: JourneyPricing,
  category: string | undefined,
  index: number,
  charges: Charge[],
  units: number[],
): void {
  const { tariff, c, profile } = ctx
  const leg = legs[index] as TapLeg
  const agencyId = agencyOf(tariff, leg)
  const facts = legFacts(ctx, leg, category, agencyId)
  const tapIds = tapIdsOf(leg)
  const { completeIndexes } = journeys
  const span = journeys.spanOfLeg[index]
  if (!span) throw new Error('internal: complete leg without a priced span')
  const position = journeys.positionOfLeg[index] as number
  const journeyId = journeys.journeyIds[span.journeyIndex] as string
  const ZERO = ctx.zero
  if (position !== span.start) {
    const firstTap = (legs[completeIndexes[span.start] as number] as TapLeg).entry.tapId
    const explanation: Explanation = { kind: 'joined', taps: tapIds, leg: facts, chargedWithTapId: firstTap, amount: ZERO }
    units[index] = 0
    charges[index] = legCharge(ctx, leg, agencyId, journeyId, { amount: ZERO, flags: ['transfer'], fullFare: ZERO, legFare: ZERO, explanation })
    return
  }
  const capped = ledger.charge({
    departureMs: leg.entry.ms,
    networkId: leg.networkId,
    riderCategoryId: category ?? ctx.fallbackCategory,
    fareMediaId: profile.fareMediaId,
    increment: span.increment,
  })
  const transfer = span.transfer
  const journey: JourneyFacts = {
    journeyId,
    step: span.kind === 'new' ? 'first' : 'transfer',
    transfer: transfer && {
      transferRuleLine: transfer.rule.line,
      fromLegGroupId: transfer.rule.fromLegGroupId,
      toLegGroupId: transfer.rule.toLegGroupId,
      fareTransferType: transfer.rule.fareTransferType,
      fareProductId: transfer.rule.productId,
      transferAmount: c.dec(transfer.productUnits),
      transferNumber: transfer.transferNumber,
      durationLimitSeconds: transfer.rule.durationLimitSeconds,
      durationLimitType: transfer.rule.durationLimitType,
      elapsedSeconds: transfer.elapsedSeconds,
    },
    journeyTotalBefore: c.dec(span.journeyTotalBefore),
    journeyTotalAfter: c.dec(span.journeyTotalAfter),
  }
  const joinedTapIds: string[] = []
  for (let p = span.start + 1; p <= span.end; p++) joinedTapIds.push((legs[completeIndexes[p] as number] as TapLeg).entry.tapId)
  const amount = c.dec(capped.charge)
  const increment = c.dec(span.increment)
  const explanation: Explanation = {
    kind: 'fare',
    taps: tapIds,
    leg: facts,
    joinedTapIds,
    rule: ruleFacts(c, span.option.rule, span.option.product),
    journey,
    increment,
    caps: capFacts(c, capped.checks),
    amount,
  }
  const flags: ChargeFlag[] = []
  if (span.kind === 'transfer') flags.push('transfer')
  if (capped.capped) flags.push('capped')
  const full = journeys.fullIncrementOfLeg[index] ?? span.increment
  units[index] = capped.charge
  charges[index] = legCharge(ctx, leg, agencyId, journeyId, { amount, flags, fullFare: c.dec(full), legFare: span.option.amount, explanation })
}

/**
 * One charge per tap in (time, tap id) order: an entry gets its leg's charge;
 * exits, unmatched exits and double taps are 0.00. Returns the charges and
 * their total in integer units.
 */
export function chargeTaps(
  ctx: ChargeContext,
  sorted: readonly TimedTap[],
  roles: readonly TapRole[],
  legs: readonly TapLeg[],
  legCharges: LegCharges,
): { charges: Charge[]; total: number } {
  const { tariff } = ctx
  const ZERO = ctx.zero
  const charges: Charge[] = []
  let total = 0
  // The sentences of 0.00 charges depend only on their kind: rendered once per rating.
  const zeroSentences = new Map<string, string>()
  const sayZero = (explanation: Explanation, key: string): string => {
    let text = zeroSentences.get(key)
    if (text === undefined) {
      text = ctx.say(explanation)
      zeroSentences.set(key, text)
    }
    return text
  }
  for (let position = 0; position < sorted.length; position++) {
    const tap = sorted[position] as TimedTap
    const role = roles[position]
    if (!role) throw new Error(`internal: tap ${tap.tapId} has no role`)
    if (role.kind === 'entry') {
      charges.push(legCharges.charges[role.legIndex] as Charge)
      total += legCharges.units[role.legIndex] as number
      continue
    }
    const route = tariff.routes.get(tap.routeId)
    const agencyId = route?.agencyId ?? ''
    const networkId = route?.networkId ?? ''
    switch (role.kind) {
      case 'exit': {
        const leg = legs[role.legIndex] as TapLeg
        const explanation: Explanation = { kind: 'exit', taps: [tap.tapId], entryTapId: leg.entry.tapId, amount: ZERO }
        const journeyId = legCharges.charges[role.legIndex]?.journeyId
        charges.push({
          tapId: tap.tapId,
          time: tap.time,
          amount: ZERO,
          agencyId,
          networkId,
          ...(journeyId === undefined ? {} : { journeyId }),
          flags: [],
          fullFare: ZERO,
          legFare: ZERO,
          explanation,
          sentence: sayZero(explanation, 'exit'),
        })
        break
      }
      case 'unmatched_exit': {
        const explanation: Explanation = { kind: 'unmatched_exit', taps: [tap.tapId], reason: role.reason, amount: ZERO }
        charges.push({
          tapId: tap.tapId,
          time: tap.time,
          amount: ZERO,
          agencyId,
          networkId,
          flags: ['unmatched_exit'],
          fullFare: ZERO,
          legFare: ZERO,
          explanation,
          sentence: sayZero(explanation, role.reason),
        })
        break
      }
      case 'double_tap': {
        const explanation: Explanation = { kind: 'double_tap', taps: [tap.tapId], firstTapId: role.firstTapId, amount: ZERO }
        charges.push({
          tapId: tap.tapId,
          time: tap.time,
          amount: ZERO,
          agencyId,
          networkId,
          flags: ['double_tap'],
          fullFare: ZERO,
          legFare: ZERO,
          explanation,
          sentence: sayZero(explanation, 'double_tap'),
        })
        break
      }
      default: {
        const never: never = role
        throw new Error(`unknown role ${String(never)}`)
      }
    }
  }
  return { charges, total }
}
