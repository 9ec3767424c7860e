/**
 * Explanations (docs/fares.md section 3.1): every charge carries the derivation a
 * rider and an operator both see, and a short sentence rendered from it.
 */
import { type Decimal, formatAmount } from '@fare/money'
import type { UnmatchedExitReason } from './legs.ts'
import type { CapPeriod } from './model.ts'

export interface LegFacts {
  readonly routeId: string
  readonly networkId: string
  readonly agencyId: string
  readonly fromStopId: string | undefined
  readonly toStopId: string | undefined
  readonly departure: string
  readonly arrival: string | undefined
  /** The category in force for the leg (the default's id when the rider has none or it lapsed). */
  readonly riderCategoryId: string | undefined
  readonly fareMediaId: string | undefined
}

export interface RuleFacts {
  readonly legRuleLine: number
  readonly legGroupId: string | undefined
  readonly rulePriority: number
  readonly fareProductId: string
  readonly fareProductName: string
  /** The leg's own fare under this rule (before transfers and caps). */
  readonly legFare: Decimal
}

/** The fare transfer rule a journey step used (JSON field names unchanged: `transfer`, `transferRuleLine`, ...). */
export interface FareTransferFacts {
  readonly transferRuleLine: number
  readonly fromLegGroupId: string | undefined
  readonly toLegGroupId: string | undefined
  readonly fareTransferType: 0 | 1 | 2
  readonly fareProductId: string | undefined
  readonly transferAmount: Decimal
  readonly transferNumber: number
  readonly durationLimitSeconds: number | undefined
  readonly durationLimitType: 0 | 1 | 2 | 3 | undefined
  readonly elapsedSeconds: number | undefined
}

export interface CapFacts {
  readonly capId: string
  readonly period: CapPeriod['kind']
  readonly capAmount: Decimal
  readonly window: { readonly start: string; readonly end: string }
  readonly spentBefore: Decimal
  readonly headroom: Decimal
  readonly limiting: boolean
}

export interface JourneyFacts {
  readonly journeyId: string
  readonly step: 'first' | 'transfer'
  readonly transfer: FareTransferFacts | undefined
  readonly journeyTotalBefore: Decimal
  readonly journeyTotalAfter: Decimal
}

export type Explanation =
  | {
      readonly kind: 'fare'
      readonly taps: readonly string[]
      readonly leg: LegFacts
      /** Entry taps of further legs joined into this effective leg. */
      readonly joinedTapIds: readonly string[]
      readonly rule: RuleFacts
      readonly journey: JourneyFacts
      readonly increment: Decimal
      readonly caps: readonly CapFacts[]
      readonly amount: Decimal
    }
  | { readonly kind: 'joined'; readonly taps: readonly string[]; readonly leg: LegFacts; readonly chargedWithTapId: string; readonly amount: Decimal }
  | { readonly kind: 'incomplete'; readonly taps: readonly string[]; readonly leg: LegFacts; readonly rule: RuleFacts; readonly amount: Decimal }
  | {
      readonly kind: 'group'
      readonly taps: readonly string[]
      readonly leg: LegFacts
      readonly rule: RuleFacts
      readonly increment: Decimal
      readonly caps: readonly CapFacts[]
      readonly amount: Decimal
    }
  | { readonly kind: 'exit'; readonly taps: readonly string[]; readonly entryTapId: string; readonly amount: Decimal }
  | { readonly kind: 'unmatched_exit'; readonly taps: readonly string[]; readonly reason: UnmatchedExitReason; readonly amount: Decimal }
  | { readonly kind: 'double_tap'; readonly taps: readonly string[]; readonly firstTapId: string; readonly amount: Decimal }

const PERIOD_WORD: Readonly<Record<CapPeriod['kind'], string>> = { day: 'Daily', week: 'Weekly', month: 'Monthly', rolling: 'Rolling' }

const UNMATCHED_WORDS: Readonly<Record<UnmatchedExitReason, string>> = {
  no_open_leg: 'Exit tap without an entry',
  tap_on_only_network: 'Exit tap on a tap-on-only network',
  other_network: 'Exit tap on another network than the entry',
  too_late: 'Exit tap too long after the entry',
}

function capPhrase(caps: readonly CapFacts[], increment: Decimal, amount: Decimal, currency: string, format: (amount: Decimal) => string): string | undefined {
  let limiting: CapFacts | undefined
  for (const c of caps)
    if (c.limiting) {
      limiting = c
      break
    }
  if (!limiting) return undefined
  const word = PERIOD_WORD[limiting.period]
  return amount.isZero()
    ? `${word} cap of ${format(limiting.capAmount)} ${currency} reached`
    : `${word} cap of ${format(limiting.capAmount)} ${currency} (fare ${format(increment)} ${currency})`
}

/** The short human sentence, e.g. "Transfer within 60 min: 0.00 UAH". */
export function sentence(explanation: Explanation, currency: string): string {
  return sentenceWith(explanation, currency, (amount) => formatAmount(amount, currency))
}

/** The sentence with a given amount formatter (the engine passes a cached formatAmount). */
export function sentenceWith(explanation: Explanation, currency: string, format: (amount: Decimal) => string): string {
  const money = `${format(explanation.amount)} ${currency}`
  switch (explanation.kind) {
    case 'fare': {
      const capped = capPhrase(explanation.caps, explanation.increment, explanation.amount, currency, format)
      if (capped) return `${capped}: ${money}`
      const transfer = explanation.journey.transfer
      if (explanation.journey.step === 'transfer' && transfer) {
        const limit = transfer.durationLimitSeconds
        const within = limit === undefined ? 'Transfer' : limit % 60 === 0 ? `Transfer within ${limit / 60} min` : `Transfer within ${limit} s`
        return explanation.amount.isNegative() ? `${within}, credit for the upgrade: ${money}` : `${within}: ${money}`
      }
      const name = explanation.rule.fareProductName !== '' ? explanation.rule.fareProductName : explanation.rule.fareProductId
      return `${name}, route ${explanation.leg.routeId}: ${money}`
    }
    case 'joined':
      return `Same fare leg as tap ${explanation.chargedWithTapId}: ${money}`
    case 'incomplete':
      return `No exit tap, maximum fare: ${money}`
    case 'group': {
      const capped = capPhrase(explanation.caps, explanation.increment, explanation.amount, currency, format)
      return capped ? `${capped}: ${money}` : `Fare for another passenger, route ${explanation.leg.routeId}: ${money}`
    }
    case 'exit':
      return `Exit tap, fare charged at entry: ${money}`
    case 'unmatched_exit':
      return `${UNMATCHED_WORDS[explanation.reason]}: ${money}`
    case 'double_tap':
      return `Repeated tap, counted once: ${money}`
    default: {
      const never: never = explanation
      return String(never)
    }
  }
}
