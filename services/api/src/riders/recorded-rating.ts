/**
 * A card's recorded taps rated again with the fare engine, the way the ledger
 * rated them (docs/ledger.md, "How a batch is settled"): each tap with the
 * tariff version in force at its own time, one rating per version (caps and
 * transfers do not carry across a tariff change), and a recorded tap its
 * version can no longer price left out (it keeps what was posted for it).
 *
 * The ledger posts the difference whenever a charge changes, so the sum of a
 * tap's transfers is always the engine's charge for it (`pnpm ledger:check`
 * proves it); what the rider api adds is the engine's explanation, which the
 * ledger stores only with a transfer, never for a 0.00 charge (a capped ride,
 * an exit, a repeated tap).
 */
import { sql } from 'kysely'
import { rate, type CardProfile, type Charge, type Tap, type Tariff } from '@fare/fares'
import type { SettledTap } from '@fare/contracts'
import type { Db } from '@fare/db'
import { cardProfile, engineTap, type StoredProfile, type TariffBook, type TariffVersionInForce } from '@fare/tariffs'

/** A card's stored tap: the settled tap without its card (the card is the query's). */
export type RecordedTap = Omit<SettledTap, 'cardToken'>


export interface RatedCharge {
  readonly charge: Charge
  readonly version: TariffVersionInForce
}

export async function loadProfile(db: Db, cardToken: string): Promise<StoredProfile | undefined> {
  const rows = await sql<{ rider_category_id: string; valid_from: string | null; valid_to: string | null; fare_media_id: string | null }>`
    select rider_category_id, fare_media_id, to_char(category_valid_from, 'YYYY-MM-DD') as valid_from, to_char(category_valid_to, 'YYYY-MM-DD') as valid_to
    from cards where card_token = ${cardToken}`.execute(db)
  const row = rows.rows[0]
  return row && { riderCategoryId: row.rider_category_id, riderCategoryValidFrom: row.valid_from, riderCategoryValidTo: row.valid_to, fareMediaId: row.fare_media_id }
}

/** The card's recorded taps with `fromMs <= time < toMs`, in time order. */
export async function loadTaps(db: Db, cardToken: string, fromMs: number, toMs: number): Promise<RecordedTap[]> {
  const rows = await db
    .selectFrom('taps')
    .select(['tap_id', 'kind', 'tapped_at', 'tapped_at_text', 'route_id', 'stop_id', 'device_id', 'operator_id'])
    .where('card_token', '=', cardToken)
    .where('tapped_at', '>=', new Date(fromMs))
    .where('tapped_at', '<', new Date(toMs))
    .orderBy('tapped_at')
    .orderBy('tap_id')
    .execute()
  return rows.map((r) => ({
    tapId: r.tap_id,
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
export function rateRecorded(book: TariffBook, stored: StoredProfile, taps: readonly RecordedTap[]): Map<string, RatedCharge> {
  const byVersion = new Map<string, { version: TariffVersionInForce; taps: Tap[] }>()
  for (const tap of taps) {
    const version = book.at(tap.ms)
    if (!version || !ratable(version.tariff, tap)) continue
    const entry = byVersion.get(version.id) ?? { version, taps: [] }
    entry.taps.push(engineTap(tap))
    byVersion.set(version.id, entry)
  }
  const out = new Map<string, RatedCharge>()
  for (const { version, taps: versionTaps } of byVersion.values()) {
    const rating = rate(version.tariff, cardProfile(version.tariff, stored), versionTaps)
    for (const charge of rating.charges) out.set(charge.tapId, { charge, version })
  }
  return out
}
