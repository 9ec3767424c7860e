/**
 * Helpers for the ledger service: which taps to re-rate when a tap arrives,
 * and how much of each cap a rider has left.
 */
import { Decimal, ZERO } from '@fare/money'
import { calendarWindow, capApplies } from './caps.ts'
import { categoryAt, defaultCategoryId } from './categories.ts'
import type { Tariff } from './model.ts'
import type { Rating } from './rate.ts'
import { resolveOptions } from './rate.ts'
import { type CardProfile, checkProfile, parseTime, type RateOptions } from './request.ts'
import { formatInstant, MS_PER_DAY } from './time/zone.ts'

/**
 * The span of taps to load and re-rate when a tap at `time` arrives: the union
 * of the cap windows containing it (a rolling cap conservatively counts its
 * full length on both sides), widened on each side by the longest of
 * maxJourneyMinutes and the transfer rules' duration limits.
 */
export function rerateWindow(tariff: Tariff, time: string, options?: RateOptions): { from: string; to: string } {
  const at = parseTime(time, 'time')
  const resolved = resolveOptions(options)
  let fromMs = at
  let toMs = at + 1
  for (const cap of tariff.caps) {
    if (cap.period.kind === 'rolling') {
      const length = cap.period.durationDays * MS_PER_DAY
      fromMs = Math.min(fromMs, at - length)
      toMs = Math.max(toMs, at + length)
    } else {
      const window = calendarWindow(tariff, cap, at)
      fromMs = Math.min(fromMs, window.startMs)
      toMs = Math.max(toMs, window.endMs)
    }
  }
  let marginMs = resolved.maxJourneyMinutes * 60_000
  for (const rule of tariff.fareTransferRules) {
    if (rule.durationLimitSeconds !== undefined) marginMs = Math.max(marginMs, rule.durationLimitSeconds * 1000)
  }
  return { from: formatInstant(tariff.defaultTimezone, fromMs - marginMs), to: formatInstant(tariff.defaultTimezone, toMs + marginMs) }
}

export interface CapStatus {
  readonly capId: string
  readonly window: { readonly start: string; readonly end: string }
  readonly spent: Decimal
  readonly cap: Decimal
  readonly remaining: Decimal
}

/** For the rider balance API: per cap that applies to the rider now, the window at `at` and what is left of it. */
export function capStatus(tariff: Tariff, profile: CardProfile, rating: Rating, at: string): CapStatus[] {
  checkProfile(tariff, profile)
  const atMs = parseTime(at, 'at')
  const zone = tariff.defaultTimezone
  const fallback = defaultCategoryId(tariff)
  const out: CapStatus[] = []
  const counted = rating.charges
    .filter((c) => c.explanation.kind === 'fare' || c.explanation.kind === 'group')
    .map((c) => ({ charge: c, ms: parseTime(c.time, 'time') }))
  for (const cap of tariff.caps) {
    const categoryNow = categoryAt(tariff, profile, '', undefined, atMs) ?? fallback
    if (!capApplies(cap, { networkId: cap.networkId ?? '', riderCategoryId: categoryNow, fareMediaId: profile.fareMediaId })) continue
    const applies = (c: { charge: (typeof counted)[number]['charge'] }): boolean => {
      const explanation = c.charge.explanation
      const category = explanation.kind === 'fare' || explanation.kind === 'group' ? explanation.leg.riderCategoryId : undefined
      return capApplies(cap, { networkId: c.charge.networkId, riderCategoryId: category, fareMediaId: profile.fareMediaId })
    }
    let startMs: number
    let endMs: number
    if (cap.period.kind === 'rolling') {
      const length = cap.period.durationDays * MS_PER_DAY
      // Replay the anchors: a window opens at the first capped leg no open window covers.
      let anchor: number | undefined
      for (const c of counted) {
        if (!applies(c) || c.ms > atMs) continue
        if (anchor === undefined || c.ms >= anchor + length) anchor = c.ms
      }
      if (anchor !== undefined && atMs < anchor + length) {
        startMs = anchor
        endMs = anchor + length
      } else {
        startMs = atMs
        endMs = atMs + length
      }
    } else {
      const window = calendarWindow(tariff, cap, atMs)
      startMs = window.startMs
      endMs = window.endMs
    }
    let spent = ZERO
    for (const c of counted) if (c.ms >= startMs && c.ms < endMs && applies(c)) spent = spent.plus(c.charge.amount)
    const remaining = Decimal.max(0, cap.amount.minus(spent))
    out.push({ capId: cap.capId, window: { start: formatInstant(zone, startMs), end: formatInstant(zone, endMs) }, spent, cap: cap.amount, remaining })
  }
  return out
}
