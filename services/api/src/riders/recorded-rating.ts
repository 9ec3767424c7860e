/**
 * A card's recorded taps rated again with the fare engine, the way the ledger
 * rated them (docs/ledger.md, "How a batch is settled"): each tap with the
 * tariff version in force at its own time and the rider category the card had
 * then, one rating per version and category (caps and transfers do not carry
 * across either), with the taps of the cards it replaced as context (their
 * cap progress carries over), and a recorded tap its version can no longer
 * price left out (it keeps what was posted for it).
 *
 * The ledger posts the difference whenever a charge changes, so the sum of a
 * tap's transfers is always the engine's charge for it (`pnpm ledger:check`
 * proves it); what the rider api adds is the engine's explanation, which the
 * ledger stores only with a transfer, never for a 0.00 charge (a capped ride,
 * an exit, a repeated tap).
 */

import type { SettledTap } from '@fare/contracts'
import type { Db } from '@fare/db'
import { type Charge, rate, type Tariff } from '@fare/fares'
import {
  cardProfile,
  engineTap,
  loadEarlierCategories,
  loadPredecessors,
  type ProfileWithHistory,
  ratingSegments,
  type TariffBook,
  type TariffVersionInForce,
} from '@fare/tariffs'
import { sql } from 'kysely'

/** A stored tap, of the card or of one it replaced. */
export type RecordedTap = SettledTap

/** What rating a card's taps draws on, as the ledger reads it (@fare/tariffs card-history.ts). */
export interface RatedCard {
  readonly cardToken: string
  /** Its profile now, with the categories it had before. */
  readonly profile: ProfileWithHistory
  /** The cards it replaced, directly or not: their taps rate with its own, as context. */
  readonly predecessors: readonly string[]
}

export interface RatedCharge {
  readonly charge: Charge
  readonly version: TariffVersionInForce
}

export async function loadRatedCard(db: Db, cardToken: string): Promise<RatedCard | undefined> {
  const rows = await sql<{ rider_category_id: string; valid_from: string | null; valid_to: string | null; fare_media_id: string | null }>`
    select rider_category_id, fare_media_id, to_char(category_valid_from, 'YYYY-MM-DD') as valid_from, to_char(category_valid_to, 'YYYY-MM-DD') as valid_to
    from cards where card_token = ${cardToken}`.execute(db)
  const row = rows.rows[0]
  if (!row) return undefined
  const earlier = (await loadEarlierCategories(db, [cardToken])).get(cardToken) ?? []
  const predecessors = (await loadPredecessors(db, [cardToken])).get(cardToken) ?? []
  return {
    cardToken,
    profile: {
      riderCategoryId: row.rider_category_id,
      riderCategoryValidFrom: row.valid_from,
      riderCategoryValidTo: row.valid_to,
      fareMediaId: row.fare_media_id,
      earlier,
    },
    predecessors,
  }
}

/** The recorded taps of the card and of the cards it replaced with `fromMs <= time < toMs`, in time order. */
export async function loadTaps(db: Db, card: RatedCard, fromMs: number, toMs: number): Promise<RecordedTap[]> {
  const rows = await db
    .selectFrom('taps')
    .select(['tap_id', 'card_token', 'kind', 'tapped_at', 'tapped_at_text', 'route_id', 'stop_id', 'device_id', 'operator_id'])
    .where('card_token', 'in', [card.cardToken, ...card.predecessors])
    .where('tapped_at', '>=', new Date(fromMs))
    .where('tapped_at', '<', new Date(toMs))
    .orderBy('tapped_at')
    .orderBy('tap_id')
    .execute()
  return rows.map((r) => ({
    tapId: r.tap_id,
    cardToken: r.card_token,
    kind: r.kind,
    time: r.tapped_at_text,
    ms: new Date(r.tapped_at).getTime(),
    routeId: r.route_id,
    stopId: r.stop_id,
    deviceId: r.device_id,
    operatorId: r.operator_id,
  }))
}

function ratable(tariff: Tariff, tap: RecordedTap): boolean {
  return tariff.routes.has(tap.routeId) && (tap.stopId === null || !tariff.hasStops || tariff.stops.has(tap.stopId))
}

/** The engine's charge of every tap it can price, keyed by tap id. */
export function rateRecorded(book: TariffBook, profile: ProfileWithHistory, taps: readonly RecordedTap[]): Map<string, RatedCharge> {
  const out = new Map<string, RatedCharge>()
  for (const { version, profile: stored, taps: segmentTaps } of ratingSegments(book, profile, taps, (v, tap) => ratable(v.tariff, tap))) {
    const rating = rate(version.tariff, cardProfile(version.tariff, stored), segmentTaps.map(engineTap))
    for (const charge of rating.charges) out.set(charge.tapId, { charge, version })
  }
  return out
}
