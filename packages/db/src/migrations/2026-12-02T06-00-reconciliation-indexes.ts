import { type Kysely, sql } from 'kysely'

/**
 * What the reconciliation and data-quality reports (docs/reports.md) read by
 * the ledger's clock: the taps recorded, the transfers posted and the records
 * rejected within a range of instants.
 *
 * - `taps.recorded_at` and `transfers.created_at` are the ledger's transaction
 *   time, so rows arrive in (nearly) that order: a BRIN index (the least and
 *   greatest instant of every 32 pages, kilobytes for millions of rows) finds a
 *   range of them and costs the ledger's inserts next to nothing, unlike a
 *   B-tree written on every row. A page range is summarized once full
 *   (autosummarize: autovacuum's work item); until then, like the newest,
 *   partly filled range, it is read whatever the query's range.
 * - `rejected_taps` is small and rarely written: a plain B-tree on
 *   `rejected_at` (the existing index leads with the code).
 * - The data-quality report counts the few rated taps the engine could not
 *   make a whole journey of: a partial index holds those rows only, so the
 *   count reads them, not the month's every charge, and the ledger's writes of
 *   ordinary charges never touch it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index taps_recorded_at on taps using brin (recorded_at) with (pages_per_range = 32, autosummarize = on)`.execute(db)
  await sql`create index transfers_created_at on transfers using brin (created_at) with (pages_per_range = 32, autosummarize = on)`.execute(db)
  await sql`create index rejected_taps_rejected_at on rejected_taps (rejected_at)`.execute(db)
  await sql`
    create index tap_charges_anomalies on tap_charges (service_day, operator_id)
    where charge_kind in ('incomplete', 'unmatched_exit', 'double_tap')`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists tap_charges_anomalies`.execute(db)
  await sql`drop index if exists rejected_taps_rejected_at`.execute(db)
  await sql`drop index if exists transfers_created_at`.execute(db)
  await sql`drop index if exists taps_recorded_at`.execute(db)
}
