/**
 * The engine's explanation of a charge (docs/fares.md section 3.1) and the
 * ledger's reason for an adjustment (docs/ledger.md, "Accounts and
 * transfers"), in plain words for the rider: which fare, which transfer, which
 * cap and what it saved, why a ride was incomplete, why a charge changed later.
 */

import type { CapFacts, Charge, Explanation } from '@fare/fares'
import { type Decimal, formatAmount } from '@fare/money'

const PERIOD: Readonly<Record<CapFacts['period'], string>> = { day: 'daily', week: 'weekly', month: 'monthly', rolling: 'rolling' }

export interface Wording {
  readonly currency: string
  /** A time as the rider reads it (the agency's local time). */
  readonly time: (iso: string) => string
  /** The time of a recorded tap of this card, when known. */
  readonly tapTime: (tapId: string) => string | undefined
}

const money = (amount: Decimal, w: Wording): string => `${formatAmount(amount, w.currency)} ${w.currency}`

function minutes(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`
}

/** The cap that made this charge smaller than the fare, if any. */
export function limitingCap(explanation: Explanation): CapFacts | undefined {
  if (explanation.kind !== 'fare' && explanation.kind !== 'group') return undefined
  return explanation.caps.find((c) => c.limiting)
}

/** What a limiting cap saved on this charge: the fare before caps minus what was charged. */
export function capSaving(explanation: Explanation): Decimal | undefined {
  const cap = limitingCap(explanation)
  if (!cap || (explanation.kind !== 'fare' && explanation.kind !== 'group')) return undefined
  return explanation.increment.minus(explanation.amount)
}

function capWords(explanation: Explanation, w: Wording): string | undefined {
  const cap = limitingCap(explanation)
  if (!cap || (explanation.kind !== 'fare' && explanation.kind !== 'group')) return undefined
  const saved = explanation.increment.minus(explanation.amount)
  const window = `${w.time(cap.window.start)} to ${w.time(cap.window.end)}`
  return explanation.amount.isZero()
    ? `Your ${PERIOD[cap.period]} cap of ${money(cap.capAmount, w)} (${window}) was already reached, so this ride is free: it saved you ${money(saved, w)}.`
    : `This ride reached your ${PERIOD[cap.period]} cap of ${money(cap.capAmount, w)} (${window}): ` +
        `you paid ${money(explanation.amount, w)} instead of ${money(explanation.increment, w)}, saving ${money(saved, w)}.`
}

/** The fare before caps; when a cap then lowers it, in brackets, so it does not read as what was charged. */
function fareWords(explanation: Extract<Explanation, { kind: 'fare' }>, w: Wording): string {
  const said = (what: string, amount: string): string => (limitingCap(explanation) ? `${what} (${amount}).` : `${what}: ${amount}.`)
  const product = explanation.rule.fareProductName !== '' ? explanation.rule.fareProductName : explanation.rule.fareProductId
  const from = explanation.leg.fromStopId === undefined ? '' : ` from stop ${explanation.leg.fromStopId}`
  const transfer = explanation.journey.transfer
  if (explanation.journey.step === 'transfer' && transfer) {
    const groups = transfer.fromLegGroupId && transfer.toLegGroupId ? ` from ${transfer.fromLegGroupId} to ${transfer.toLegGroupId}` : ''
    const within = transfer.durationLimitSeconds === undefined ? '' : ` within ${minutes(transfer.durationLimitSeconds)}`
    const elapsed = transfer.elapsedSeconds === undefined ? '' : ` (${minutes(Math.round(transfer.elapsedSeconds / 60) * 60)} after the ride before)`
    const increment = explanation.increment
    const paid = increment.isNegative()
      ? `a credit of ${money(increment.negated(), w)}, since this fare replaces a dearer one`
      : `${money(increment, w)} instead of the ${money(explanation.rule.legFare, w)} ${product}`
    return said(`Transfer${groups}${within}${elapsed} on route ${explanation.leg.routeId}${from}`, paid)
  }
  return said(`${product} on route ${explanation.leg.routeId}${from}`, money(explanation.increment, w))
}

/** One charge of the engine in plain words. */
export function explainCharge(charge: Charge, w: Wording): string {
  const e = charge.explanation
  switch (e.kind) {
    case 'fare':
      return [fareWords(e, w), capWords(e, w)].filter(Boolean).join(' ')
    case 'group':
      return [
        `Fare for another passenger travelling on your card, route ${e.leg.routeId}` +
          (limitingCap(e) ? ` (${money(e.increment, w)}).` : `: ${money(e.increment, w)}.`),
        capWords(e, w),
      ]
        .filter(Boolean)
        .join(' ')
    case 'incomplete': {
      const from = e.leg.fromStopId === undefined ? '' : ` from stop ${e.leg.fromStopId}`
      return (
        `No exit tap for this ride on route ${e.leg.routeId}${from}, so it was charged the highest fare from there, ` +
        `${money(e.amount, w)} (${e.rule.fareProductName || e.rule.fareProductId}); ` +
        'an incomplete ride gets no transfer and does not count towards caps. If your exit tap reaches us later, the real fare replaces it.'
      )
    }
    case 'joined': {
      const at = w.tapTime(e.chargedWithTapId)
      return `Part of the same fare as the ride${at ? ` at ${w.time(at)}` : ''}: no separate charge.`
    }
    case 'exit': {
      const at = w.tapTime(e.entryTapId)
      return `Exit tap: the fare of this ride was charged when you tapped in${at ? ` at ${w.time(at)}` : ''}.`
    }
    case 'unmatched_exit': {
      const why = {
        no_open_leg: 'there was no entry tap before it',
        tap_on_only_network: 'on this network you only tap in',
        other_network: 'it was on another network than your entry tap',
        too_late: 'it came too long after your entry tap, which was charged as an incomplete ride',
      }[e.reason]
      return `Exit tap not matched to a ride (${why}): nothing charged.`
    }
    case 'double_tap': {
      const at = w.tapTime(e.firstTapId)
      return `Repeated tap on the same validator${at ? ` (first at ${w.time(at)})` : ''}: counted once, nothing charged.`
    }
    default: {
      const never: never = e
      return String(never)
    }
  }
}

/** What the ledger stored with an adjustment (services/ledger rating.ts); read defensively, it is JSON. */
interface AdjustmentFacts {
  before?: string
  after?: string
  causeTapIds?: string[]
}

function factsOf(explanation: unknown): AdjustmentFacts {
  if (typeof explanation !== 'object' || explanation === null) return {}
  const { before, after, causeTapIds } = explanation as Record<string, unknown>
  return {
    ...(typeof before === 'string' ? { before } : {}),
    ...(typeof after === 'string' ? { after } : {}),
    ...(Array.isArray(causeTapIds) ? { causeTapIds: causeTapIds.filter((id): id is string => typeof id === 'string') } : {}),
  }
}

/** Why a charge changed after it was first made, in plain words. */
export function explainAdjustment(reason: string | null, postedAt: string, explanation: unknown, w: Wording): string {
  const facts = factsOf(explanation)
  const change = facts.before !== undefined && facts.after !== undefined ? ` from ${facts.before} to ${facts.after} ${w.currency}` : ''
  const when = w.time(postedAt)
  switch (reason) {
    case 'late_tap': {
      const times = (facts.causeTapIds ?? [])
        .map(w.tapTime)
        .filter((t): t is string => t !== undefined)
        .map(w.time)
      const cause = times.length > 0 ? `your tap${times.length > 1 ? 's' : ''} at ${times.join(', ')} reached us late` : 'a tap reached us late'
      return `Re-rated on ${when} because ${cause} (from a validator that was offline, for example): with it, this ride's charge changed${change}.`
    }
    case 'exit_completed':
      return `Your exit tap reached us on ${when}: the highest fare was replaced by the real fare of the ride${change}.`
    case 'tariff_correction':
      return `Re-rated on ${when} after a correction of the tariff: this ride's charge changed${change}.`
    default:
      return `Adjusted on ${when}${change}.`
  }
}
