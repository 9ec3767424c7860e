/**
 * The read side's rows (`tap_charges`): each charge the batch rated, as the
 * engine now gives it, written in the batch's transaction so reports always
 * agree with the transfers. A row that did not change is not rewritten.
 * The same statement keeps the daily rollup (`tap_charge_days`, what the
 * month's reports read): each row written adds its figures, and a row a late
 * tap re-rated takes its old figures away, so the rollup always equals the
 * sums of `tap_charges` (ledger:check compares them).
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

/** The columns of a tap_charges row the rollup reads: its key and what it counts and sums. */
const ROLLED = sql.raw(
  'tap_id, service_day, operator_id, route_id, rider_category_id, capped_by, currency, tap_kind, charge_kind, ' +
    'full_fare, leg_fare, before_caps, amount, first_amount, concession, split',
)

export async function upsertTapCharges(
  trx: Executor,
  plans: readonly { token: string; charges: readonly RatedCharge[] }[],
  newTaps: ReadonlyMap<string, readonly { tap: SettledTap }[]>,
  spanTaps: ReadonlyMap<string, readonly SettledTap[]>,
  /** The batch's Kafka partition: its rows of the rollup, which no other partition's batch writes (no lock waits between them). */
  shard: number,
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
  // Data-modifying CTEs share one snapshot: `old` holds the rows as they were before `written` changed them.
  // `written` returns the rows inserted and the rows updated (those whose figures changed), as they are now.
  await sql`
    with u as (
      select * from unnest(${col((r) => r.tap.tapId)}::uuid[], ${col((r) => r.tap.cardToken)}::text[], ${col((r) => r.charge.operatorId)}::text[],
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
    ),
    old as (select c.* from tap_charges c where c.tap_id in (select tap_id from u)),
    written as (
    insert into tap_charges (tap_id, card_token, operator_id, route_id, stop_id, device_id, tap_kind, tapped_at, service_day, local_hour,
                             rider_category_id, charge_kind, journey_id, tariff_version_id, full_fare, leg_fare, before_caps, amount, first_amount,
                             concession, split, currency, capped_by)
    select u.tap_id, u.card_token, u.operator_id, u.route_id, u.stop_id, u.device_id, u.tap_kind, u.tapped_at, u.service_day, u.local_hour,
           u.rider_category_id, u.charge_kind, u.journey_id, u.tariff_version_id, u.full_fare, u.leg_fare, u.before_caps, u.amount, u.amount,
           u.concession, u.split, u.currency, u.capped_by
    from u
    on conflict (tap_id) do update set
      operator_id = excluded.operator_id, rider_category_id = excluded.rider_category_id, charge_kind = excluded.charge_kind,
      journey_id = excluded.journey_id, tariff_version_id = excluded.tariff_version_id, full_fare = excluded.full_fare,
      leg_fare = excluded.leg_fare, before_caps = excluded.before_caps, amount = excluded.amount, concession = excluded.concession,
      split = excluded.split, capped_by = excluded.capped_by, rated_at = now()
    where (tap_charges.operator_id, tap_charges.rider_category_id, tap_charges.charge_kind, tap_charges.journey_id, tap_charges.tariff_version_id,
           tap_charges.full_fare, tap_charges.leg_fare, tap_charges.before_caps, tap_charges.amount, tap_charges.concession, tap_charges.split,
           tap_charges.capped_by)
      is distinct from (excluded.operator_id, excluded.rider_category_id, excluded.charge_kind, excluded.journey_id, excluded.tariff_version_id,
           excluded.full_fare, excluded.leg_fare, excluded.before_caps, excluded.amount, excluded.concession, excluded.split, excluded.capped_by)
    returning ${ROLLED}
    ),
    delta as (
      select 1 as sign, ${ROLLED} from written
      union all
      select -1, ${ROLLED} from old where old.tap_id in (select tap_id from written)
    )
    insert into tap_charge_days (service_day, operator_id, route_id, rider_category_id, capped_by, currency, shard, charges, rides, capped_rides,
                                 full_fare, leg_fare, before_caps, amount, first_amount, concession, split)
    select service_day, operator_id, route_id, rider_category_id, capped_by, currency, ${shard}::integer, sum(sign),
           coalesce(sum(sign) filter (where tap_kind = 'entry' and charge_kind <> 'double_tap'), 0),
           coalesce(sum(sign) filter (where capped_by is not null and amount < before_caps), 0),
           sum(sign * full_fare), sum(sign * leg_fare), sum(sign * before_caps), sum(sign * amount), sum(sign * first_amount),
           sum(sign * concession), sum(sign * split)
    from delta
    group by service_day, operator_id, route_id, rider_category_id, capped_by, currency
    -- One order for every batch: two transactions updating the same rows (a partition taken over mid-batch) lock them alike.
    order by service_day, operator_id, route_id, rider_category_id, capped_by, currency
    on conflict on constraint tap_charge_days_key do update set
      charges = tap_charge_days.charges + excluded.charges, rides = tap_charge_days.rides + excluded.rides,
      capped_rides = tap_charge_days.capped_rides + excluded.capped_rides, full_fare = tap_charge_days.full_fare + excluded.full_fare,
      leg_fare = tap_charge_days.leg_fare + excluded.leg_fare, before_caps = tap_charge_days.before_caps + excluded.before_caps,
      amount = tap_charge_days.amount + excluded.amount, first_amount = tap_charge_days.first_amount + excluded.first_amount,
      concession = tap_charge_days.concession + excluded.concession, split = tap_charge_days.split + excluded.split`.execute(trx)
}
