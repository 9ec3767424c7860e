/**
 * A card's journey history, newest first, as a rider reads it (after the
 * journey history of a London Oyster card): each journey with its legs, what
 * each tap was charged and why, and each later adjustment with its reason and
 * when it was made. Money comes from the ledger's transfers (what was really
 * taken); the explanations from the engine (recorded-rating.ts).
 *
 * Pages are keyed by the journey's start and id (keyset, not offset): a tap
 * recorded while a rider pages never repeats or skips a journey already shown.
 */

import { type AccountEntry, entriesOfTaps } from '@fare/bookkeeping'
import type { Db } from '@fare/db'
import { type Charge, formatInstant, rerateWindow } from '@fare/fares'
import { Decimal, formatAmount } from '@fare/money'
import type { TariffBook } from '@fare/tariffs'
import { capSaving, explainAdjustment, explainCharge, limitingCap, type Wording } from './explain.ts'
import { loadTaps, type RatedCard, type RatedCharge, type RecordedTap, rateRecorded } from './recorded-rating.ts'

const ZERO = new Decimal(0)

/** Where a page starts: after the journey that ended the previous page. */
export interface JourneyKey {
  readonly startMs: number
  readonly journeyId: string
}

export interface LegView {
  readonly routeId: string
  readonly operatorId: string
  readonly fromStopId: string | null
  readonly toStopId: string | null
  readonly boardedAt: string
  readonly alightedAt: string | null
  /** False for a ride without its exit tap (charged the highest fare). */
  readonly complete: boolean
  readonly tapIds: string[]
}

export interface AdjustmentView {
  /** Positive: the rider paid more; negative: money back. */
  readonly change: Decimal
  readonly reason: string
  readonly postedAt: string
  readonly explanation: string
}

export interface TapChargeView {
  readonly tapId: string
  readonly kind: 'entry' | 'exit'
  readonly tappedAt: string
  readonly routeId: string
  readonly stopId: string | null
  /** What this tap costs the rider now: the charge at the tap plus every adjustment. */
  readonly charged: Decimal
  readonly chargedAtTap: Decimal
  readonly flags: string[]
  readonly summary: string
  readonly explanation: string
  readonly cap: { readonly capId: string; readonly saved: Decimal } | null
  readonly adjustments: AdjustmentView[]
}

export interface JourneyView {
  readonly journeyId: string
  readonly startedAt: string
  readonly total: Decimal
  readonly legs: LegView[]
  readonly taps: TapChargeView[]
}

export interface JourneyPage {
  readonly timeZone: string
  readonly journeys: JourneyView[]
  /** The last journey of the page when more follow. */
  readonly next: JourneyKey | undefined
}

export interface JourneyQuery {
  /** The agency's, for the times shown. */
  readonly timeZone: string
  readonly fromMs: number
  readonly toMs: number
  readonly limit: number
  readonly after: JourneyKey | undefined
}

interface Journey {
  key: JourneyKey
  readonly taps: RecordedTap[]
}

/** Is a before b in newest-first order? */
const newerFirst = (a: JourneyKey, b: JourneyKey): number => b.startMs - a.startMs || (a.journeyId < b.journeyId ? 1 : a.journeyId > b.journeyId ? -1 : 0)

/** The instants a journey starting in [from, to) can draw on: the windows of its caps, and its later legs. */
function loadSpan(book: TariffBook, query: JourneyQuery): { fromMs: number; toMs: number } {
  const upper = query.after ? Math.min(query.toMs, query.after.startMs + 1) : query.toMs
  const atFrom = book.at(query.fromMs)
  const atTo = book.at(upper - 1)
  return {
    fromMs: atFrom ? Date.parse(rerateWindow(atFrom.tariff, formatInstant(atFrom.tariff.defaultTimezone, query.fromMs)).from) : query.fromMs,
    toMs: atTo ? Date.parse(rerateWindow(atTo.tariff, formatInstant(atTo.tariff.defaultTimezone, upper - 1)).to) : upper,
  }
}

/** The taps grouped by the engine's journeys (a tap it does not price is a journey of its own). */
function groupJourneys(taps: readonly RecordedTap[], rated: ReadonlyMap<string, RatedCharge>): Journey[] {
  const byId = new Map<string, Journey>()
  for (const tap of taps) {
    const explanation = rated.get(tap.tapId)?.charge.explanation
    const firstTap = explanation?.kind === 'double_tap' ? explanation.firstTapId : undefined
    // A repeated tap has no journey of its own: it belongs to the first tap's.
    const journeyId = rated.get(tap.tapId)?.charge.journeyId ?? (firstTap !== undefined ? rated.get(firstTap)?.charge.journeyId : undefined) ?? tap.tapId
    let journey = byId.get(journeyId)
    if (!journey) {
      journey = { key: { startMs: tap.ms, journeyId }, taps: [] }
      byId.set(journeyId, journey)
    }
    journey.taps.push(tap)
    if (tap.ms < journey.key.startMs) journey.key = { startMs: tap.ms, journeyId }
  }
  return [...byId.values()]
}

function legOf(charge: Charge | undefined, tap: RecordedTap, zone: string): LegView | undefined {
  if (!charge) {
    // Not priced by the tariff now in force: the tap itself is all we know of the ride.
    return tap.kind === 'exit'
      ? undefined
      : {
          routeId: tap.routeId,
          operatorId: tap.operatorId,
          fromStopId: tap.stopId,
          toStopId: null,
          boardedAt: formatInstant(zone, tap.ms),
          alightedAt: null,
          complete: true,
          tapIds: [tap.tapId],
        }
  }
  const e = charge.explanation
  if (e.kind !== 'fare' && e.kind !== 'group' && e.kind !== 'incomplete' && e.kind !== 'joined') return undefined
  const leg = e.leg
  return {
    routeId: leg.routeId,
    operatorId: leg.agencyId !== '' ? leg.agencyId : tap.operatorId,
    fromStopId: leg.fromStopId ?? null,
    toStopId: leg.toStopId ?? null,
    boardedAt: leg.departure,
    alightedAt: leg.arrival ?? null,
    complete: e.kind !== 'incomplete',
    tapIds: [...e.taps],
  }
}

function tapView(tap: RecordedTap, rated: RatedCharge | undefined, entries: readonly AccountEntry[], zone: string, w: Wording): TapChargeView {
  // Transfers are signed from the rider's account: a fare taken is negative there, a charge here.
  let chargedAtTap = ZERO
  const adjustments: AdjustmentView[] = []
  for (const entry of entries) {
    const paid = entry.amount.negated()
    if (entry.reason === 'new_tap') chargedAtTap = chargedAtTap.plus(paid)
    else {
      const postedAt = formatInstant(zone, entry.postedAt.getTime())
      adjustments.push({
        change: paid,
        reason: entry.reason ?? entry.kind,
        postedAt,
        explanation: explainAdjustment(entry.reason, postedAt, entry.explanation, w),
      })
    }
  }
  const charged = adjustments.reduce((sum, a) => sum.plus(a.change), chargedAtTap)
  const charge = rated?.charge
  const cap = charge ? limitingCap(charge.explanation) : undefined
  const saved = charge ? capSaving(charge.explanation) : undefined
  return {
    tapId: tap.tapId,
    kind: tap.kind,
    tappedAt: formatInstant(zone, tap.ms),
    routeId: tap.routeId,
    stopId: tap.stopId,
    charged,
    chargedAtTap,
    flags: charge ? [...charge.flags] : [],
    summary: charge ? charge.sentence : `Charged when recorded: ${formatAmount(charged, w.currency)} ${w.currency}`,
    explanation: charge
      ? explainCharge(charge, w)
      : `Charged when it was recorded; the tariff in force then no longer prices route ${tap.routeId}, so the charge stays as it was.`,
    cap: cap && saved ? { capId: cap.capId, saved } : null,
    adjustments,
  }
}

export async function journeyPage(
  db: Db,
  book: TariffBook,
  card: { cardToken: string; accountId: string; currency: string },
  rating: RatedCard,
  query: JourneyQuery,
): Promise<JourneyPage> {
  const zone = query.timeZone
  const span = loadSpan(book, query)
  const taps = await loadTaps(db, rating, span.fromMs, span.toMs)
  const rated = rateRecorded(book, rating.profile, taps)
  // The taps of the cards it replaced are context for the rating; the journeys shown are the card's own.
  const inRange = groupJourneys(
    taps.filter((t) => t.cardToken === card.cardToken),
    rated,
  )
    .filter((j) => j.key.startMs >= query.fromMs && j.key.startMs < query.toMs && (!query.after || newerFirst(query.after, j.key) < 0))
    .sort((a, b) => newerFirst(a.key, b.key))
  const page = inRange.slice(0, query.limit)
  const entries = await entriesOfTaps(
    db,
    card.accountId,
    page.flatMap((j) => j.taps.map((t) => t.tapId)),
  )
  const entriesByTap = new Map<string, AccountEntry[]>()
  for (const e of entries)
    if (e.tapId !== null && (e.kind === 'fare' || e.kind === 'fare_adjustment')) entriesByTap.set(e.tapId, [...(entriesByTap.get(e.tapId) ?? []), e])
  const tapTimes = new Map(taps.map((t) => [t.tapId, t.time]))
  const w: Wording = {
    currency: card.currency,
    time: (iso) => formatInstant(zone, Date.parse(iso)).slice(0, 16).replace('T', ' '),
    tapTime: (tapId) => tapTimes.get(tapId),
  }
  const journeys = page.map((j): JourneyView => {
    const views = j.taps.map((t) => tapView(t, rated.get(t.tapId), entriesByTap.get(t.tapId) ?? [], zone, w))
    return {
      journeyId: j.key.journeyId,
      startedAt: formatInstant(zone, j.key.startMs),
      total: views.reduce((sum, v) => sum.plus(v.charged), ZERO),
      legs: j.taps.map((t) => legOf(rated.get(t.tapId)?.charge, t, zone)).filter((l): l is LegView => l !== undefined),
      taps: views,
    }
  })
  const last = page.at(-1)
  return { timeZone: zone, journeys, next: inRange.length > query.limit && last ? last.key : undefined }
}
