/**
 * The ledger's pure step (functional core): given a card's taps in the span
 * the new taps can affect, what was already posted for them, and the tariff
 * versions, rate with the fare engine and return only the differences to
 * post. No IO here; settle.ts loads the state and writes what this returns.
 */

import type { SettledTap } from '@fare/contracts'
import { type Charge, type RateOptions, type Rating, rate, rerateWindow, type Tariff } from '@fare/fares'
import { Decimal, splitProRata, ZERO } from '@fare/money'
import {
  cardProfile,
  engineTap,
  type ProfileWithHistory,
  ratingSegments,
  type StoredProfile,
  serviceTimeOf,
  type TariffBook,
  type TariffVersionInForce,
  unratableReason,
} from '@fare/tariffs'

/** Signed sums already posted, from the rider's and the operators' side. */
export interface Posted {
  /** Per tap: what the rider paid so far (fare + fare_adjustment; credits negative). */
  readonly fareByTap: ReadonlyMap<string, Decimal>
  /** Per tap: concession compensation posted to its operator so far. */
  readonly concessionByTap: ReadonlyMap<string, Decimal>
  /** Per journey id, per operator: net revenue moved by `revenue_split` transfers. */
  readonly splitByJourney: ReadonlyMap<string, ReadonlyMap<string, Decimal>>
}

export type Side = 'rider' | 'concession' | { readonly operatorId: string }

/** A transfer to post, named by sides; settle.ts maps sides to account ids. */
export interface PlannedTransfer {
  readonly debit: Side
  readonly credit: Side
  readonly amount: Decimal
  readonly kind: 'fare' | 'fare_adjustment' | 'concession'
  readonly tapId?: string
  readonly journeyId?: string
  readonly reason: string
  readonly explanation: unknown
}

/** A charge as the engine gives it now, for the read side (`tap_charges`); amounts exact. */
export interface RatedCharge {
  readonly tapId: string
  readonly operatorId: string
  readonly riderCategoryId: string | undefined
  readonly chargeKind: string
  readonly journeyId: string | undefined
  readonly tariffVersionId: string
  readonly serviceDay: string
  readonly localHour: number
  readonly fullFare: Decimal
  readonly legFare: Decimal
  readonly beforeCaps: Decimal
  readonly amount: Decimal
  readonly concession: Decimal
  /** Revenue the journey's split moved to (+) or from (-) this operator; on the operator's first leg of the journey. */
  readonly split: Decimal
  readonly cappedBy: string | undefined
  readonly currency: string
}

/** What to post for a card, and its charges in the posting range as they now stand. */
export interface CardPlanResult {
  readonly transfers: PlannedTransfer[]
  readonly charges: RatedCharge[]
}

export interface Span {
  readonly fromMs: number
  readonly toMs: number
  /** Differences are posted only for taps at or after this instant (before it the span is context only). */
  readonly postFromMs: number
}

/** Longest stretch a journey can reach back: taps this far before the span only give context. */
function contextMarginMs(tariff: Tariff, options: RateOptions): number {
  let margin = (options.maxJourneyMinutes ?? 120) * 60_000
  for (const rule of tariff.fareTransferRules) if (rule.durationLimitSeconds !== undefined) margin = Math.max(margin, rule.durationLimitSeconds * 1000)
  return margin
}

/** The union of the re-rate windows of the new taps (docs/fares.md section 5). */
export function spanOf(book: TariffBook, newTaps: readonly SettledTap[], options: RateOptions): Span {
  let fromMs = Infinity
  let toMs = -Infinity
  let postFromMs = Infinity
  for (const tap of newTaps) {
    const version = book.at(tap.ms)
    if (!version) throw new Error(`no tariff in force at ${tap.time}`)
    const window = rerateWindow(version.tariff, tap.time, options)
    const from = Date.parse(window.from)
    fromMs = Math.min(fromMs, from)
    toMs = Math.max(toMs, Date.parse(window.to))
    postFromMs = Math.min(postFromMs, from + contextMarginMs(version.tariff, options), tap.ms)
  }
  return { fromMs, toMs, postFromMs }
}

function defaultCategory(tariff: Tariff): string | undefined {
  for (const id of tariff.defaultRiderCategoryIds) return id
  return undefined
}

function legCategory(charge: Charge): string | undefined {
  const explanation = charge.explanation as { leg?: { riderCategoryId?: string } }
  return explanation.leg?.riderCategoryId
}

interface RatedSegment {
  readonly version: TariffVersionInForce
  readonly rating: Rating
}

/**
 * Rates the card's span, one rating per tariff version and rider category
 * (a new version, or a category change, starts afresh: caps and transfers do
 * not carry across it), and plans the transfers that bring what was posted to
 * what the engine says.
 */
export function planCard(input: {
  readonly book: TariffBook
  readonly profile: ProfileWithHistory
  /**
   * The card whose charges are planned. Taps of other cards among `taps` (the
   * cards it replaced: their cap progress and journeys carry over) are
   * context only: rated with it, never posted for. Omitted: every tap is its own.
   */
  readonly cardToken?: string
  readonly taps: readonly SettledTap[]
  readonly newTapIds: ReadonlySet<string>
  readonly span: Span
  readonly posted: Posted
  readonly options: RateOptions
  /** Profiling: wall time spent inside the engine's `rate`. */
  readonly onRate?: (ms: number) => void
}): CardPlanResult {
  const { book, posted, span, newTapIds } = input
  // A recorded tap its tariff version cannot rate (a route or stop the version
  // no longer knows, say after a back-dated correction) keeps what was posted
  // for it: left out of the rating, it gets no adjustment, and it cannot block
  // every later tap of its card. New taps were checked before they got here.
  const ratable = (version: TariffVersionInForce, tap: SettledTap): boolean => newTapIds.has(tap.tapId) || unratableReason(version.tariff, tap) === undefined
  const segments: RatedSegment[] = []
  for (const { version, profile: stored, taps } of ratingSegments(book, input.profile, input.taps, ratable)) {
    const engineTaps = taps.map(engineTap)
    const profile = cardProfile(version.tariff, stored)
    const started = input.onRate ? performance.now() : 0
    segments.push({ version, rating: rate(version.tariff, profile, engineTaps, input.options) })
    if (input.onRate) input.onRate(performance.now() - started)
  }

  const newExitEntries = new Set<string>()
  for (const { rating } of segments) {
    for (const charge of rating.charges) {
      if (newTapIds.has(charge.tapId) && charge.explanation.kind === 'exit') newExitEntries.add(charge.explanation.entryTapId)
    }
  }
  const tapById = new Map(input.taps.map((t) => [t.tapId, t]))
  const inPostRange = (tapId: string): boolean => {
    const tap = tapById.get(tapId)
    return tap !== undefined && tap.ms >= span.postFromMs && (input.cardToken === undefined || tap.cardToken === input.cardToken)
  }
  const newIds = [...newTapIds].sort()

  const planned: PlannedTransfer[] = []
  const charges: RatedCharge[] = []
  for (const { version, rating } of segments) {
    const tariff = version.tariff
    const fallback = defaultCategory(tariff)
    const splits = planSplits(rating, posted, inPostRange, tapById)
    const splitPlaced = new Set<string>()
    for (const charge of rating.charges) {
      if (!inPostRange(charge.tapId)) continue
      const tap = tapById.get(charge.tapId) as SettledTap
      const operatorId = charge.agencyId !== '' ? charge.agencyId : tap.operatorId
      const before = posted.fareByTap.get(charge.tapId) ?? ZERO
      const delta = charge.amount.minus(before)
      const isNew = newTapIds.has(charge.tapId)
      const reason = isNew ? 'new_tap' : newExitEntries.has(charge.tapId) ? 'exit_completed' : 'late_tap'
      const journey = charge.journeyId === undefined ? {} : { journeyId: charge.journeyId }
      if (!delta.isZero()) {
        const positive = delta.isPositive()
        planned.push({
          debit: positive ? 'rider' : { operatorId },
          credit: positive ? { operatorId } : 'rider',
          amount: delta.abs(),
          kind: isNew && before.isZero() ? 'fare' : 'fare_adjustment',
          tapId: charge.tapId,
          ...journey,
          reason,
          explanation: {
            tariffVersionId: version.id,
            before: before.toFixed(2),
            after: charge.amount.toFixed(2),
            causeTapIds: isNew ? [charge.tapId] : newIds,
            flags: charge.flags,
            sentence: charge.sentence,
            charge: charge.explanation,
          },
        })
      }
      // Concession rides: the city owes the operator the full fare minus what the rider paid.
      const category = legCategory(charge)
      const concessionTarget =
        category !== undefined && category !== fallback && charge.fullFare.greaterThan(charge.amount) ? charge.fullFare.minus(charge.amount) : ZERO
      const concessionBefore = posted.concessionByTap.get(charge.tapId) ?? ZERO
      const concessionDelta = concessionTarget.minus(concessionBefore)
      if (!concessionDelta.isZero()) {
        const positive = concessionDelta.isPositive()
        planned.push({
          debit: positive ? 'concession' : { operatorId },
          credit: positive ? { operatorId } : 'concession',
          amount: concessionDelta.abs(),
          kind: 'concession',
          tapId: charge.tapId,
          ...journey,
          reason: isNew ? 'concession' : reason,
          explanation: {
            tariffVersionId: version.id,
            riderCategoryId: category,
            fullFare: charge.fullFare.toFixed(2),
            riderPaid: charge.amount.toFixed(2),
            before: concessionBefore.toFixed(2),
            after: concessionTarget.toFixed(2),
          },
        })
      }
      const journeyOperator = `${charge.journeyId ?? ''}\u0000${operatorId}`
      const split = charge.explanation.kind === 'exit' || splitPlaced.has(journeyOperator) ? undefined : splits.targets.get(journeyOperator)
      if (split) splitPlaced.add(journeyOperator)
      charges.push(ratedCharge(version, tap, charge, operatorId, category, concessionTarget, split ?? ZERO))
    }
    planned.push(...splits.transfers)
  }
  // Journeys that had a split posted but no longer exist (a late tap regrouped them): move it back.
  const liveJourneys = new Set(segments.flatMap((s) => s.rating.charges.map((c) => c.journeyId ?? '')))
  for (const [journeyId, byOperator] of posted.splitByJourney) {
    if (liveJourneys.has(journeyId) || !inPostRange(journeyId)) continue
    planned.push(...settleSplit(journeyId, new Map(), byOperator, { reason: 'journey regrouped' }))
  }
  return { transfers: planned, charges }
}

function ratedCharge(
  version: TariffVersionInForce,
  tap: SettledTap,
  charge: Charge,
  operatorId: string,
  category: string | undefined,
  concession: Decimal,
  split: Decimal,
): RatedCharge {
  const explanation = charge.explanation
  const priced = explanation.kind === 'fare' || explanation.kind === 'group' ? explanation : undefined
  const service = serviceTimeOf(version.tariff, tap.ms)
  return {
    tapId: charge.tapId,
    operatorId,
    riderCategoryId: category,
    chargeKind: explanation.kind,
    journeyId: charge.journeyId,
    tariffVersionId: version.id,
    serviceDay: service.day,
    localHour: service.hour,
    fullFare: charge.fullFare,
    legFare: charge.legFare,
    beforeCaps: priced ? priced.increment : charge.amount,
    amount: charge.amount,
    concession,
    split,
    cappedBy: priced?.caps.find((c) => c.limiting)?.capId,
    currency: version.tariff.currency,
  }
}

/**
 * Multi-operator journeys (docs/fares.md section 5): the rider's fare went to each
 * leg's operator; the journey total is then re-divided pro rata to the legs'
 * own fares with `revenue_split` transfers between the operators.
 */
function planSplits(
  rating: Rating,
  posted: Posted,
  inPostRange: (tapId: string) => boolean,
  tapById: ReadonlyMap<string, SettledTap>,
): { transfers: PlannedTransfer[]; targets: Map<string, Decimal> } {
  const journeys = new Map<string, Charge[]>()
  for (const charge of rating.charges) {
    if (charge.journeyId === undefined || !inPostRange(charge.journeyId)) continue
    const list = journeys.get(charge.journeyId) ?? []
    list.push(charge)
    journeys.set(charge.journeyId, list)
  }
  const planned: PlannedTransfer[] = []
  // Per journey and operator (key `journeyId \0 operatorId`): the split's net for the operator.
  const targets = new Map<string, Decimal>()
  const operatorOf = (c: Charge): string => (c.agencyId !== '' ? c.agencyId : (tapById.get(c.tapId)?.operatorId ?? ''))
  for (const [journeyId, charges] of journeys) {
    // Most journeys stay with one operator and were never split: nothing to divide or move back.
    const first = charges[0]
    if (first && !posted.splitByJourney.has(journeyId) && charges.every((c) => operatorOf(c) === operatorOf(first))) continue
    const direct = new Map<string, Decimal>()
    const weights = new Map<string, Decimal>()
    let total = ZERO
    for (const c of charges) {
      total = total.plus(c.amount)
      direct.set(operatorOf(c), (direct.get(operatorOf(c)) ?? ZERO).plus(c.amount))
      if (c.explanation.kind !== 'exit') weights.set(operatorOf(c), (weights.get(operatorOf(c)) ?? ZERO).plus(c.legFare))
    }
    const target = new Map<string, Decimal>()
    if (weights.size > 1) {
      const shares = splitProRata(
        total,
        rating.currency,
        [...weights].map(([key, weight]) => ({ key, weight })),
      )
      for (const [op, share] of shares) target.set(op, share.minus(direct.get(op) ?? ZERO))
      for (const [op, amount] of direct) if (!shares.has(op)) target.set(op, amount.negated())
    }
    for (const [op, amount] of target) targets.set(`${journeyId}\u0000${op}`, amount)
    const before = posted.splitByJourney.get(journeyId) ?? new Map<string, Decimal>()
    planned.push(
      ...settleSplit(journeyId, target, before, { total: total.toFixed(2), shares: Object.fromEntries([...target].map(([k, v]) => [k, v.toFixed(2)])) }),
    )
  }
  return { transfers: planned, targets }
}

/** Transfers between operators that move the posted split to the target (both maps sum to zero). */
function settleSplit(
  journeyId: string,
  target: ReadonlyMap<string, Decimal>,
  before: ReadonlyMap<string, Decimal>,
  facts: Record<string, unknown>,
): PlannedTransfer[] {
  const delta: { op: string; amount: Decimal }[] = []
  for (const op of new Set([...target.keys(), ...before.keys()])) {
    const d = (target.get(op) ?? ZERO).minus(before.get(op) ?? ZERO)
    if (!d.isZero()) delta.push({ op, amount: d })
  }
  delta.sort((a, b) => (a.op < b.op ? -1 : 1))
  const givers = delta.filter((d) => d.amount.isNegative()).map((d) => ({ op: d.op, left: d.amount.negated() }))
  const takers = delta.filter((d) => d.amount.isPositive()).map((d) => ({ op: d.op, left: d.amount }))
  const planned: PlannedTransfer[] = []
  for (const taker of takers) {
    for (const giver of givers) {
      if (taker.left.isZero()) break
      if (giver.left.isZero()) continue
      const amount = Decimal.min(taker.left, giver.left)
      taker.left = taker.left.minus(amount)
      giver.left = giver.left.minus(amount)
      planned.push({
        debit: { operatorId: giver.op },
        credit: { operatorId: taker.op },
        amount,
        kind: 'fare_adjustment',
        journeyId,
        reason: 'revenue_split',
        explanation: { journeyId, ...facts },
      })
    }
  }
  return planned
}

/** The most one ride may take for a card: the highest product price its category (or any) can pay. */
export function maxRideAmount(tariff: Tariff, stored: StoredProfile): Decimal {
  const profile = cardProfile(tariff, stored)
  const category = profile.riderCategoryId ?? defaultCategory(tariff)
  let max = ZERO
  for (const rows of tariff.products.values()) {
    for (const row of rows) {
      if (row.riderCategoryId !== undefined && row.riderCategoryId !== category) continue
      if (row.amount.greaterThan(max)) max = row.amount
    }
  }
  return max
}
