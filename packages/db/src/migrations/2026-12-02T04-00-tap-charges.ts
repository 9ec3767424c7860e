import { type Kysely, sql } from 'kysely'

/**
 * The read side's one row per rated tap: what the fare engine says of it now
 * (after every re-rating), with the facts reports group by. The ledger writes
 * it in the transaction that posts the tap's transfers, so it always agrees
 * with them (`ledger:check` compares the two); reports read it instead of
 * re-rating millions of taps. Unlike transfers it is updated: it is a view of
 * the ledger kept current, not a record of money moving.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tap_charges')
    .addColumn('tap_id', 'uuid', (c) => c.primaryKey().references('taps.tap_id'))
    .addColumn('card_token', 'text', (c) => c.notNull())
    // The charge's operator: the leg's agency in the tariff, else the tap's device operator.
    .addColumn('operator_id', 'text', (c) => c.notNull())
    .addColumn('route_id', 'text', (c) => c.notNull())
    .addColumn('stop_id', 'text')
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('tap_kind', 'text', (c) => c.notNull())
    .addColumn('tapped_at', 'timestamptz', (c) => c.notNull())
    // The agency's local service day and hour of the tap (the tariff's time zone and day start).
    .addColumn('service_day', 'date', (c) => c.notNull())
    .addColumn('local_hour', 'smallint', (c) => c.notNull())
    .addColumn('rider_category_id', 'text')
    // The engine's explanation kind: fare, joined, incomplete, exit, ...
    .addColumn('charge_kind', 'text', (c) => c.notNull())
    .addColumn('journey_id', 'text')
    .addColumn('tariff_version_id', 'bigint', (c) => c.notNull())
    // Money, each as the engine gives it: full_fare (the default category's fare for the leg after fare transfers),
    // leg_fare (the rider's category, before transfers and caps), before_caps (after fare
    // transfers), amount (what the rider pays now), first_amount (what the first rating charged),
    // concession (what the city owes the operator), split (revenue moved to (+) or from (-) this
    // leg's operator by a multi-operator journey's split).
    .addColumn('full_fare', 'numeric(20, 2)', (c) => c.notNull())
    .addColumn('leg_fare', 'numeric(20, 2)', (c) => c.notNull())
    .addColumn('before_caps', 'numeric(20, 2)', (c) => c.notNull())
    .addColumn('amount', 'numeric(20, 2)', (c) => c.notNull())
    .addColumn('first_amount', 'numeric(20, 2)', (c) => c.notNull())
    .addColumn('concession', 'numeric(20, 2)', (c) => c.notNull())
    .addColumn('split', 'numeric(20, 2)', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    // The cap that limited the charge, if one did (TIDES fare_capped).
    .addColumn('capped_by', 'text')
    .addColumn('first_rated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('rated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  // Reports read one operator's month, or every operator's month.
  await db.schema.createIndex('tap_charges_operator_day').on('tap_charges').columns(['operator_id', 'service_day']).execute()
  await db.schema.createIndex('tap_charges_day').on('tap_charges').columns(['service_day']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('tap_charges').ifExists().execute()
}
