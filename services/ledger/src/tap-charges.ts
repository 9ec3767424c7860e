/**
 * The read side's rows (`tap_charges`): each charge the batch rated, as the
 * engine now gives it, written in the batch's transaction so reports always
 * agree with the transfers. A row that did not change is not rewritten.
 */
import type { Executor } from '@fare/bookkeeping'
import type { SettledTap } from '@fare/contracts'
import { arrayLiteral } from '@fare/db'
import { sql } from 'kysely'
import type { RatedCharge } from './rating.ts'

interface ChargeWithTap {
  readonly charge: RatedCharge
  readonly tap: SettledTap
}

export async function upsertTapCharges(
  trx: Executor,
  plans: readonly { token: string; charges: readonly RatedCharge[] }[],
  newTaps: ReadonlyMap<string, readonly { tap: SettledTap }[]>,
  spanTaps: ReadonlyMap<string, readonly SettledTap[]>,
): Promise<void> {
  const rows: ChargeWithTap[] = []
  for (const { token, charges } of plans) {
    const taps = new Map<string, SettledTap>()
    for (const tap of spanTaps.get(token) ?? []) taps.set(tap.tapId, tap)
    for (const { tap } of newTaps.get(token) ?? []) taps.set(tap.tapId, tap)
    for (const charge of charges) {
      const tap = taps.get(charge.tapId)
      if (!tap) throw new Error(`internal: charge for tap ${charge.tapId} without its tap`)
      rows.push({ charge, tap })
    }
  }
  if (rows.length === 0) return
  // Columns as arrays (unnest), as insertTaps does: a few parameters instead of 23 per row. Raw sql:
  // Kysely cannot type an insert from unnest(); the column list is the table's (TapCharge), and
  // ledger:check compares every row with the engine.
  const col = (f: (r: ChargeWithTap) => string | null): string => arrayLiteral(rows.map(f))
  await sql`
    insert into tap_charges (tap_id, card_token, operator_id, route_id, stop_id, device_id, tap_kind, tapped_at, service_day, local_hour,
                             rider_category_id, charge_kind, journey_id, tariff_version_id, full_fare, leg_fare, before_caps, amount, first_amount,
                             concession, split, currency, capped_by)
    select u.tap_id, u.card_token, u.operator_id, u.route_id, u.stop_id, u.device_id, u.tap_kind, u.tapped_at, u.service_day, u.local_hour,
           u.rider_category_id, u.charge_kind, u.journey_id, u.tariff_version_id, u.full_fare, u.leg_fare, u.before_caps, u.amount, u.amount,
           u.concession, u.split, u.currency, u.capped_by
    from unnest(${col((r) => r.tap.tapId)}::uuid[], ${col((r) => r.tap.cardToken)}::text[], ${col((r) => r.charge.operatorId)}::text[],
                ${col((r) => r.tap.routeId)}::text[], ${col((r) => r.tap.stopId)}::text[], ${col((r) => r.tap.deviceId)}::text[],
                ${col((r) => r.tap.kind)}::text[], ${col((r) => r.tap.time)}::timestamptz[], ${col((r) => r.charge.serviceDay)}::date[],
                ${col((r) => String(r.charge.localHour))}::smallint[], ${col((r) => r.charge.riderCategoryId ?? null)}::text[],
                ${col((r) => r.charge.chargeKind)}::text[], ${col((r) => r.charge.journeyId ?? null)}::text[],
                ${col((r) => r.charge.tariffVersionId)}::bigint[], ${col((r) => r.charge.fullFare.toFixed(2))}::numeric[],
                ${col((r) => r.charge.legFare.toFixed(2))}::numeric[], ${col((r) => r.charge.beforeCaps.toFixed(2))}::numeric[],
                ${col((r) => r.charge.amount.toFixed(2))}::numeric[], ${col((r) => r.charge.concession.toFixed(2))}::numeric[],
                ${col((r) => r.charge.split.toFixed(2))}::numeric[], ${col((r) => r.charge.currency)}::text[], ${col((r) => r.charge.cappedBy ?? null)}::text[])
         as u(tap_id, card_token, operator_id, route_id, stop_id, device_id, tap_kind, tapped_at, service_day, local_hour, rider_category_id,
              charge_kind, journey_id, tariff_version_id, full_fare, leg_fare, before_caps, amount, concession, split, currency, capped_by)
    on conflict (tap_id) do update set
      operator_id = excluded.operator_id, rider_category_id = excluded.rider_category_id, charge_kind = excluded.charge_kind,
      journey_id = excluded.journey_id, tariff_version_id = excluded.tariff_version_id, full_fare = excluded.full_fare,
      leg_fare = excluded.leg_fare, before_caps = excluded.before_caps, amount = excluded.amount, concession = excluded.concession,
      split = excluded.split, capped_by = excluded.capped_by, rated_at = now()
    where (tap_charges.operator_id, tap_charges.rider_category_id, tap_charges.charge_kind, tap_charges.journey_id, tap_charges.tariff_version_id,
           tap_charges.full_fare, tap_charges.leg_fare, tap_charges.before_caps, tap_charges.amount, tap_charges.concession, tap_charges.split,
           tap_charges.capped_by)
      is distinct from (excluded.operator_id, excluded.rider_category_id, excluded.charge_kind, excluded.journey_id, excluded.tariff_version_id,
           excluded.full_fare, excluded.leg_fare, excluded.before_caps, excluded.amount, excluded.concession, excluded.split, excluded.capped_by)`.execute(trx)
}
