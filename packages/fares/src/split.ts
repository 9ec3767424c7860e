/**
 * Revenue of one journey across operators (docs/fares.md section 5): pro rata to
 * the legs' own fares, half-even to the minor unit, remainder to the largest
 * share (ties: lowest operator id). Shares always sum to the journey's total.
 */
import { type Decimal, splitProRata, ZERO } from '@fare/money'
import { requestInvalid } from './errors.ts'
import type { Rating } from './rate.ts'

export function splitJourneyRevenue(rating: Rating, journeyId: string): Map<string, Decimal> {
  const charges = rating.charges.filter((c) => c.journeyId === journeyId)
  if (charges.length === 0) throw requestInvalid(`no journey ${JSON.stringify(journeyId)} in the rating`)
  let total = ZERO
  const weights = new Map<string, Decimal>()
  for (const charge of charges) {
    total = total.plus(charge.amount)
    if (charge.explanation.kind === 'exit') continue
    weights.set(charge.agencyId, (weights.get(charge.agencyId) ?? ZERO).plus(charge.legFare))
  }
  return splitProRata(
    total,
    rating.currency,
    [...weights].map(([key, weight]) => ({ key, weight })),
  )
}
