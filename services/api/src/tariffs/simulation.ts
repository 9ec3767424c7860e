/**
 * A draft simulated on past taps: every tap recorded in a range is rated under
 * the draft and under the tariff versions in force at its time, with the fare
 * engine and the card profiles the ledger uses (@fare/tariffs cardProfile),
 * and the two are compared: revenue per operator, each card's spend per
 * calendar month, caps reached. Reads only; cards are read a chunk at a time
 * so memory stays bounded by the chunk, and the event loop is given back
 * between chunks so the api keeps answering.
 *
 * What it is not: the ledger's posted history. The range is rated on its own
 * (a cap window that began before the range starts empty at the range's
 * start), and a journey over several operators is counted where each leg's
 * charge went (no revenue split).
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { arrayLiteral, type Db } from '@fare/db'
import { type Charge, FareError, rate, type Tap, type Tariff } from '@fare/fares'
import { Decimal, formatAmount } from '@fare/money'
import { cardProfile, type StoredProfile, type TariffBook, unratableReason } from '@fare/tariffs'
import { sql } from 'kysely'

const ZERO = new Decimal(0)

export interface SimulationRange {
  readonly fromMs: number
  readonly toMs: number
}

interface StoredTap extends Tap {
  readonly ms: number
  readonly operatorId: string
  readonly routeId: string
  readonly stopId?: string
}

/** One side of the comparison (the draft, or the tariffs in force). */
class SideTotals {
  readonly revenueByOperator = new Map<string, Decimal>()
  /** Per `card|month`. */
  readonly spend = new Map<string, Decimal>()
  /** Per cap id: the cap windows some card reached (`card|window start`). */
  readonly capWindows = new Map<string, Set<string>>()
  readonly cardsCapped = new Set<string>()
  rated = 0
  unratable = 0
  unpriced = 0
  readonly failures: string[] = []
  total = ZERO

  addCharges(cardToken: string, charges: readonly Charge[], tapById: ReadonlyMap<string, StoredTap>): void {
    for (const charge of charges) {
      this.rated += 1
      const operator = charge.agencyId !== '' ? charge.agencyId : (tapById.get(charge.tapId)?.operatorId ?? '')
      this.revenueByOperator.set(operator, (this.revenueByOperator.get(operator) ?? ZERO).plus(charge.amount))
      // The month of the tap's own local time, as the rider sees it on the validator.
      const key = `${cardToken}|${charge.time.slice(0, 7)}`
      this.spend.set(key, (this.spend.get(key) ?? ZERO).plus(charge.amount))
      this.total = this.total.plus(charge.amount)
      if (!charge.flags.includes('capped')) continue
      const explanation = charge.explanation as { caps?: readonly { capId: string; limiting: boolean; window: { start: string } }[] }
      const limiting = explanation.caps?.find((c) => c.limiting)
      if (!limiting) continue
      const windows = this.capWindows.get(limiting.capId) ?? new Set<string>()
      windows.add(`${cardToken}|${limiting.window.start}`)
      this.capWindows.set(limiting.capId, windows)
      this.cardsCapped.add(cardToken)
    }
  }

  /** Rates one card's taps under one tariff; a card the tariff cannot price is counted, not fatal. */
  rateCard(tariff: Tariff, cardToken: string, stored: StoredProfile, taps: readonly StoredTap[], tapById: ReadonlyMap<string, StoredTap>): void {
    const ratable = taps.filter((t) => unratableReason(tariff, { routeId: t.routeId, stopId: t.stopId ?? null }) === undefined)
    this.unratable += taps.length - ratable.length
    if (ratable.length === 0) return
    try {
      this.addCharges(cardToken, rate(tariff, cardProfile(tariff, stored), ratable).charges, tapById)
    } catch (err) {
      if (!(err instanceof FareError)) throw err
      this.unpriced += ratable.length
      if (this.failures.length < 10) this.failures.push(`${err.code}: ${err.message}`)
    }
  }
}

export interface SimulationLimits {
  /** Refused above this many taps in the range (SIMULATION_TOO_LARGE). */
  readonly maxTaps: number
  /** Cards read and rated per chunk. */
  readonly cardsPerChunk: number
}

/** About a week of Lutsk's taps: under a minute on one core (docs/tariffs.md). */
export const DEFAULT_SIMULATION_LIMITS: SimulationLimits = { maxTaps: 1_000_000, cardsPerChunk: 2000 }

export async function countTapsInRange(db: Db, range: SimulationRange): Promise<number> {
  const row = await db
    .selectFrom('taps')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tapped_at', '>=', new Date(range.fromMs))
    .where('tapped_at', '<', new Date(range.toMs))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export async function simulate(db: Db, input: { draft: Tariff; book: TariffBook; range: SimulationRange; limits: SimulationLimits }) {
  const { draft, book, range } = input
  const started = performance.now()
  const inForce = new SideTotals()
  const proposed = new SideTotals()
  let noTariffInForce = 0
  let cards = 0
  // The cards of the range in one pass over it; then each chunk's taps by the (card, time) index.
  const allTokens = await cardsInRange(db, range)
  for (let start = 0; start < allTokens.length; start += input.limits.cardsPerChunk) {
    const tokens = allTokens.slice(start, start + input.limits.cardsPerChunk)
    const profiles = await loadProfiles(db, tokens)
    const tapsByCard = await loadTaps(db, tokens, range)
    for (const [cardToken, taps] of tapsByCard) {
      cards += 1
      const stored = profiles.get(cardToken) ?? { riderCategoryId: null, riderCategoryValidFrom: null, riderCategoryValidTo: null, fareMediaId: null }
      const tapById = new Map(taps.map((t) => [t.tapId, t]))
      proposed.rateCard(draft, cardToken, stored, taps, tapById)
      // In force: each tap under the version in force at its time, one rating per version, as the ledger rates.
      const byVersion = new Map<string, { tariff: Tariff; taps: StoredTap[] }>()
      for (const tap of taps) {
        const version = book.at(tap.ms)
        if (!version) {
          noTariffInForce += 1
          continue
        }
        const entry = byVersion.get(version.id) ?? { tariff: version.tariff, taps: [] }
        entry.taps.push(tap)
        byVersion.set(version.id, entry)
      }
      for (const { tariff, taps: versionTaps } of byVersion.values()) inForce.rateCard(tariff, cardToken, stored, versionTaps, tapById)
    }
    await yieldToEventLoop()
  }
  return report({ inForce, proposed, cards, noTariffInForce, currency: draft.currency, elapsedMs: performance.now() - started })
}

async function cardsInRange(db: Db, range: SimulationRange): Promise<string[]> {
  const rows = await db
    .selectFrom('taps')
    .select('card_token')
    .distinct()
    .where('tapped_at', '>=', new Date(range.fromMs))
    .where('tapped_at', '<', new Date(range.toMs))
    .orderBy('card_token')
    .execute()
  return rows.map((r) => r.card_token)
}

async function loadProfiles(db: Db, tokens: readonly string[]): Promise<Map<string, StoredProfile>> {
  const rows = await sql<{ card_token: string; rider_category_id: string; valid_from: string | null; valid_to: string | null; fare_media_id: string | null }>`
    select card_token, rider_category_id, fare_media_id,
           to_char(category_valid_from, 'YYYY-MM-DD') as valid_from, to_char(category_valid_to, 'YYYY-MM-DD') as valid_to
    from cards where card_token = any(${arrayLiteral([...tokens])}::text[])`.execute(db)
  return new Map(
    rows.rows.map((r) => [
      r.card_token,
      { riderCategoryId: r.rider_category_id, riderCategoryValidFrom: r.valid_from, riderCategoryValidTo: r.valid_to, fareMediaId: r.fare_media_id },
    ]),
  )
}

async function loadTaps(db: Db, tokens: readonly string[], range: SimulationRange): Promise<Map<string, StoredTap[]>> {
  const rows = await sql<{
    tap_id: string
    card_token: string
    kind: 'entry' | 'exit'
    tapped_at: Date
    tapped_at_text: string
    route_id: string
    stop_id: string | null
    device_id: string
    operator_id: string
  }>`
    select tap_id, card_token, kind, tapped_at, tapped_at_text, route_id, stop_id, device_id, operator_id from taps
    where card_token = any(${arrayLiteral([...tokens])}::text[])
      and tapped_at >= ${new Date(range.fromMs).toISOString()}::timestamptz and tapped_at < ${new Date(range.toMs).toISOString()}::timestamptz
    order by card_token, tapped_at, tap_id`.execute(db)
  const byCard = new Map<string, StoredTap[]>()
  for (const r of rows.rows) {
    const list = byCard.get(r.card_token) ?? []
    list.push({
      tapId: r.tap_id,
      kind: r.kind,
      routeId: r.route_id,
      ...(r.stop_id === null ? {} : { stopId: r.stop_id }),
      deviceId: r.device_id,
      time: r.tapped_at_text,
      ms: r.tapped_at.getTime(),
      operatorId: r.operator_id,
    })
    byCard.set(r.card_token, list)
  }
  return byCard
}

const money = (amount: Decimal, currency: string) => ({ amount: formatAmount(amount, currency), currency })

/** Nearest-rank percentiles of sorted changes. */
function distribution(sorted: readonly Decimal[], currency: string) {
  const at = (p: number) => money(sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as Decimal, currency)
  if (sorted.length === 0) return null
  return { min: at(0), p10: at(10), p25: at(25), p50: at(50), p75: at(75), p90: at(90), max: money(sorted[sorted.length - 1] as Decimal, currency) }
}

function report(input: { inForce: SideTotals; proposed: SideTotals; cards: number; noTariffInForce: number; currency: string; elapsedMs: number }) {
  const { inForce, proposed, currency } = input
  const operators = [...new Set([...inForce.revenueByOperator.keys(), ...proposed.revenueByOperator.keys()])].sort()
  const revenue = operators.map((operatorId) => {
    const current = inForce.revenueByOperator.get(operatorId) ?? ZERO
    const draft = proposed.revenueByOperator.get(operatorId) ?? ZERO
    return { operatorId, inForce: money(current, currency), draft: money(draft, currency), difference: money(draft.minus(current), currency) }
  })
  const rises: Decimal[] = []
  const falls: Decimal[] = []
  let unchanged = 0
  for (const key of new Set([...inForce.spend.keys(), ...proposed.spend.keys()])) {
    const change = (proposed.spend.get(key) ?? ZERO).minus(inForce.spend.get(key) ?? ZERO)
    if (change.isZero()) unchanged += 1
    else (change.isPositive() ? rises : falls).push(change)
  }
  const byValue = (a: Decimal, b: Decimal) => a.comparedTo(b)
  rises.sort(byValue)
  falls.sort(byValue)
  const side = (s: SideTotals) => ({
    total: money(s.total, currency),
    tapsRated: s.rated,
    tapsUnratable: s.unratable,
    tapsUnpriced: s.unpriced,
    failures: s.failures,
    caps: {
      ridersReachingACap: s.cardsCapped.size,
      windowsReached: Object.fromEntries([...s.capWindows].sort(([a], [b]) => (a < b ? -1 : 1)).map(([capId, windows]) => [capId, windows.size])),
    },
  })
  return {
    cards: input.cards,
    tapsWithoutTariffInForce: input.noTariffInForce,
    inForce: side(inForce),
    draft: side(proposed),
    difference: money(proposed.total.minus(inForce.total), currency),
    revenueByOperator: revenue,
    monthlySpend: {
      riderMonths: rises.length + falls.length + unchanged,
      rises: { count: rises.length, distribution: distribution(rises, currency) },
      falls: { count: falls.length, distribution: distribution(falls, currency) },
      unchanged,
    },
    elapsedMs: Math.round(input.elapsedMs),
  }
}
