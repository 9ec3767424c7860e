import { type Kysely, sql } from 'kysely'

/**
 * What the month's reports read instead of scanning `tap_charges`
 * (docs/reports.md "How the reports stay fast"):
 *
 * - `tap_charge_days`: per service day, operator, route, rider category and
 *   cap (null: none), the figures of `tap_charges` that add up: how many
 *   charges, rides (entry taps that are no double tap) and capped rides (a
 *   cap took something off), and the sums of each money column. The ledger
 *   keeps it in the transaction that writes `tap_charges`, adding each new
 *   row and, for a row a late tap re-rated, the new figures less the old
 *   (services/ledger/src/tap-charges.ts); `ledger:check` compares it with
 *   `tap_charges`. `shard` is the Kafka partition of the batch that wrote the
 *   delta: concurrent batches (one per partition) never wait on each other's
 *   rows, and a report sums the shards. A day of Lutsk is a few thousand
 *   rows instead of 150,000.
 * - The caps report counts distinct riders, which do not add up across days:
 *   a partial index holds the capped charges only, with what the report
 *   reads (an index-only scan), and the ledger's writes of uncapped charges
 *   never touch it.
 *
 * Not here: an index in the TIDES export's order (service_day, tapped_at,
 * tap_id). Measured on three Lutsk days, Postgres does not use it (it joins
 * `taps` for the vehicle by hash and sorts), and the plan forced through it
 * was slower (a lookup in `taps` per row), so it would cost the ledger a
 * wider index for nothing (docs/reports.md, TIDES export).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table tap_charge_days (
      service_day date not null,
      operator_id text not null,
      route_id text not null,
      rider_category_id text,
      capped_by text,
      currency text not null,
      shard integer not null,
      charges bigint not null,
      rides bigint not null,
      capped_rides bigint not null,
      full_fare numeric(20, 2) not null,
      leg_fare numeric(20, 2) not null,
      before_caps numeric(20, 2) not null,
      amount numeric(20, 2) not null,
      first_amount numeric(20, 2) not null,
      concession numeric(20, 2) not null,
      split numeric(20, 2) not null,
      constraint tap_charge_days_key unique nulls not distinct (service_day, operator_id, route_id, rider_category_id, capped_by, currency, shard)
    )`.execute(db)
  // A database migrated with charges already rated: their figures, as one shard.
  await sql`
    insert into tap_charge_days
    select service_day, operator_id, route_id, rider_category_id, capped_by, currency, 0, count(*),
           count(*) filter (where tap_kind = 'entry' and charge_kind <> 'double_tap'),
           count(*) filter (where capped_by is not null and amount < before_caps),
           sum(full_fare), sum(leg_fare), sum(before_caps), sum(amount), sum(first_amount), sum(concession), sum(split)
    from tap_charges group by 1, 2, 3, 4, 5, 6`.execute(db)
  await sql`create index tap_charge_days_operator on tap_charge_days (operator_id, service_day)`.execute(db)
  await sql`
    create index tap_charges_capped on tap_charges (service_day, operator_id) include (capped_by, card_token, amount, before_caps)
    where capped_by is not null`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists tap_charges_capped`.execute(db)
  await sql`drop table if exists tap_charge_days`.execute(db)
}
