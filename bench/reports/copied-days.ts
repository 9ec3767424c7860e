/**
 * The rest of a month copied from the days the ledger settled, for a machine
 * too busy to settle 4.5 million taps in the time there is (BENCH_LEDGER_DAYS
 * below BENCH_DAYS). Day d is a copy of settled day d mod K shifted by whole
 * days: its taps, tap_charges, their daily rollup (tap_charge_days) and
 * transfers (fares, concessions, revenue splits), with fresh tap and journey ids and each card's rows moved to
 * another card (so a month's distinct riders are not one day's). The copies
 * are the ledger's rows, moved: what reports read has the shape and volume of
 * a settled month. What they are not: monthly caps and cross-day journeys are
 * as on the copied day, cached balances are not moved, and a copied card's
 * category is the original rider's, not the card's.
 */
import type { Db } from '@fare/db'
import { sql } from 'kysely'
import { dayOf } from './month.ts'

/** A step coprime with any card count we use, so the card map is a permutation. */
const CARD_STEP = 7919

export async function copySettledDays(db: Db, settledDays: number, days: number, cards: number): Promise<void> {
  for (let day = settledDays; day < days; day++) {
    const started = performance.now()
    const source = day % settledDays
    const shift = day - source
    const from = `${dayOf(source)}T04:00:00+02:00`
    const to = new Date(Date.parse(from) + 86_400_000).toISOString()
    await db.transaction().execute(async (trx) => {
      // The transfers' copy looks tap and journey ids up in a day's charges: with the default work_mem those sets do not fit
      // a hash and Postgres rescans them per transfer (minutes per day); a few hundred MB hash them.
      await sql`set local work_mem = '256MB'`.execute(trx)
      await sql`
        create temporary table card_map on commit drop as
        select c.card_token as old_token, c.account_id as old_account, n.card_token as new_token, n.account_id as new_account
        from cards c
        join cards n
          on n.card_token = 'lutsk-' || lpad(((substr(c.card_token, 7)::int + ${sql.lit(day * CARD_STEP)}) % ${sql.lit(cards)})::text, 6, '0')`.execute(trx)
      await sql`create index on card_map (old_token)`.execute(trx)
      await sql`create index on card_map (old_account)`.execute(trx)
      await sql`analyze card_map`.execute(trx)
      const moved = (column: string) => sql.raw(`(${column} + interval '${shift} days')`)
      const newId = (column: string) => sql.raw(`md5(${column}::text || ':${day}')::uuid`)
      await sql`
        insert into taps (tap_id, card_token, kind, tapped_at, tapped_at_text, route_id, stop_id, vehicle_id, device_id, operator_id, device_seq,
                          received_at, kafka_partition, kafka_offset, recorded_at)
        select ${newId('t.tap_id')}, m.new_token, t.kind, ${moved('t.tapped_at')},
               to_char(${moved('t.tapped_at')} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), t.route_id, t.stop_id, t.vehicle_id, t.device_id,
               t.operator_id, t.device_seq, ${moved('t.received_at')}, t.kafka_partition, t.kafka_offset + ${sql.lit(shift * 10_000_000)},
               ${moved('t.recorded_at')}
        from taps t join card_map m on m.old_token = t.card_token
        where t.tapped_at >= ${from}::timestamptz and t.tapped_at < ${to}::timestamptz`.execute(trx)
      await sql`
        insert into tap_charges (tap_id, card_token, operator_id, route_id, stop_id, device_id, tap_kind, tapped_at, service_day, local_hour,
                                 rider_category_id, charge_kind, journey_id, tariff_version_id, full_fare, leg_fare, before_caps, amount, first_amount,
                                 concession, split, currency, capped_by, first_rated_at, rated_at)
        select ${newId('c.tap_id')}, m.new_token, c.operator_id, c.route_id, c.stop_id, c.device_id, c.tap_kind, ${moved('c.tapped_at')},
               c.service_day + ${sql.lit(shift)}, c.local_hour, c.rider_category_id, c.charge_kind, ${newId('c.journey_id')}::text, c.tariff_version_id,
               c.full_fare, c.leg_fare, c.before_caps, c.amount, c.first_amount, c.concession, c.split, c.currency, c.capped_by,
               ${moved('c.first_rated_at')}, ${moved('c.rated_at')}
        from tap_charges c join card_map m on m.old_token = c.card_token
        where c.service_day = ${dayOf(source)}::date`.execute(trx)
      // The ledger's daily rollup of those charges: the same figures, a day on (which card rode does not enter it).
      await sql`
        insert into tap_charge_days (service_day, operator_id, route_id, rider_category_id, capped_by, currency, shard, charges, rides, capped_rides,
                                     full_fare, leg_fare, before_caps, amount, first_amount, concession, split)
        select service_day + ${sql.lit(shift)}, operator_id, route_id, rider_category_id, capped_by, currency, shard, charges, rides, capped_rides,
               full_fare, leg_fare, before_caps, amount, first_amount, concession, split
        from tap_charge_days where service_day = ${dayOf(source)}::date`.execute(trx)
      await sql`
        insert into transfers (debit_account_id, credit_account_id, amount, currency, kind, tap_id, journey_id, reason, explanation, created_at)
        select coalesce(d.new_account, t.debit_account_id), coalesce(c.new_account, t.credit_account_id), t.amount, t.currency, t.kind,
               ${newId('t.tap_id')}, ${newId('t.journey_id')}::text, t.reason, t.explanation, ${moved('t.created_at')}
        from transfers t
        left join card_map d on d.old_account = t.debit_account_id
        left join card_map c on c.old_account = t.credit_account_id
        where t.kind in ('fare', 'fare_adjustment', 'concession')
          and (t.tap_id in (select tap_id from tap_charges where service_day = ${dayOf(source)}::date)
               or t.journey_id in (select journey_id from tap_charges where service_day = ${dayOf(source)}::date))`.execute(trx)
    })
    console.log(`  ${dayOf(day)}: copied from ${dayOf(source)} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  }
}
