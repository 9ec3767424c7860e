/**
 * What is left of each fare cap for a card now (docs/fares.md section 4): the
 * caps of the tariff in force that apply to the card's rider category now,
 * each with its current window in the agency's time, what the rider spent in
 * it, and what remains before rides become free.
 */

import type { Db } from '@fare/db'
import { type CapPeriod, capStatus, formatInstant, rerateWindow } from '@fare/fares'
import { Decimal } from '@fare/money'
import type { TariffBook } from '@fare/tariffs'
import { cardProfile, profileAt } from '@fare/tariffs'
import { loadTaps, type RatedCard, rateRecorded } from './recorded-rating.ts'

export interface CapNow {
  readonly capId: string
  readonly period: CapPeriod['kind']
  readonly window: { readonly start: string; readonly end: string }
  readonly spent: Decimal
  readonly cap: Decimal
  readonly remaining: Decimal
}

export interface CapsNow {
  /** The agency's time zone (the tariff in force); undefined before any tariff. */
  readonly timeZone: string | undefined
  readonly caps: CapNow[]
}

export async function capsNow(db: Db, book: TariffBook, card: RatedCard, now: Date): Promise<CapsNow> {
  const nowMs = now.getTime()
  const version = book.at(nowMs)
  if (!version) return { timeZone: undefined, caps: [] }
  const { tariff } = version
  const at = formatInstant(tariff.defaultTimezone, nowMs)
  // The taps that count towards the windows containing now, from the start of this tariff
  // version and of the card's category now (either change starts caps afresh), with the
  // context a journey needs; those of the cards it replaced count too, as in the ledger.
  const category = profileAt(card.profile, nowMs)
  const span = rerateWindow(tariff, at)
  const taps = await loadTaps(db, card, Math.max(Date.parse(span.from), version.effectiveFromMs, category.fromMs), nowMs + 1)
  const rated = rateRecorded(book, card.profile, taps)
  const charges = [...rated.values()].map((r) => r.charge)
  const rating = { currency: tariff.currency, total: Decimal.sum(0, ...charges.map((c) => c.amount)), charges }
  const periodOf = (capId: string): CapPeriod['kind'] => {
    const cap = tariff.caps.find((c) => c.capId === capId)
    if (!cap) throw new Error(`internal: capStatus named cap ${capId}, which the tariff does not have`)
    return cap.period.kind
  }
  const caps = capStatus(tariff, cardProfile(tariff, category.profile), rating, at).map((s) => ({
    capId: s.capId,
    period: periodOf(s.capId),
    window: s.window,
    spent: s.spent,
    cap: s.cap,
    remaining: s.remaining,
  }))
  return { timeZone: tariff.defaultTimezone, caps }
}
