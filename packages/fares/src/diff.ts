/**
 * Re-rating (docs/fares.md section 5): what was posted is never edited; the
 * difference between two ratings of a card is posted as adjustments that
 * name the taps and the reason. The deltas always sum to the change of total.
 */
import { type Decimal, ZERO } from '@fare/money'
import { compareCodePoints } from './code-points.ts'
import type { Charge, Rating } from './rate.ts'

export type AdjustmentReason = 'late_tap' | 'exit_completed' | 'tariff_correction' | 'new_tap'

export interface Adjustment {
  readonly tapId: string
  readonly reason: AdjustmentReason
  readonly before: Decimal
  readonly after: Decimal
  readonly delta: Decimal
  /** The taps that caused the change (the new taps, or the tap itself). */
  readonly causeTapIds: readonly string[]
  readonly sentence: string
}

function reasonFor(
  tapId: string,
  before: Charge | undefined,
  after: Charge | undefined,
  newTapIds: ReadonlySet<string>,
  newExitIds: readonly string[],
): AdjustmentReason {
  if (newTapIds.has(tapId)) return 'new_tap'
  const wasIncomplete = before?.flags.includes('incomplete') ?? false
  const isIncomplete = after?.flags.includes('incomplete') ?? false
  if (wasIncomplete && !isIncomplete && newExitIds.length > 0) return 'exit_completed'
  if (newTapIds.size > 0) return 'late_tap'
  return 'tariff_correction'
}

export function diffRatings(before: Rating, after: Rating, context: { readonly newTapIds: ReadonlySet<string> }): Adjustment[] {
  const beforeById = new Map(before.charges.map((c) => [c.tapId, c]))
  const afterById = new Map(after.charges.map((c) => [c.tapId, c]))
  const newExitIds = after.charges.filter((c) => context.newTapIds.has(c.tapId) && c.explanation.kind === 'exit').map((c) => c.tapId)
  const ids = [...new Set([...before.charges.map((c) => c.tapId), ...after.charges.map((c) => c.tapId)])]
  const order = new Map(after.charges.map((c, i) => [c.tapId, i]))
  ids.sort((a, b) => (order.get(a) ?? -1) - (order.get(b) ?? -1) || compareCodePoints(a, b))
  const adjustments: Adjustment[] = []
  for (const tapId of ids) {
    const b = beforeById.get(tapId)
    const a = afterById.get(tapId)
    const beforeAmount = b?.amount ?? ZERO
    const afterAmount = a?.amount ?? ZERO
    const delta = afterAmount.minus(beforeAmount)
    if (delta.isZero() && b !== undefined) continue
    if (delta.isZero() && !context.newTapIds.has(tapId)) continue
    const reason = reasonFor(tapId, b, a, context.newTapIds, newExitIds)
    const causeTapIds =
      reason === 'new_tap' || reason === 'tariff_correction'
        ? [tapId]
        : reason === 'exit_completed'
          ? newExitIds
          : [...context.newTapIds].sort(compareCodePoints)
    const currency = after.currency
    const text = `${reason.replace('_', ' ')} for tap ${tapId}: ${beforeAmount.toFixed(2)} -> ${afterAmount.toFixed(2)} ${currency}`
    adjustments.push({ tapId, reason, before: beforeAmount, after: afterAmount, delta, causeTapIds, sentence: text })
  }
  return adjustments
}
