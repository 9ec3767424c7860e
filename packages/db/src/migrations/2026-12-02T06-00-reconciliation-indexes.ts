import { type Kysely, sql } from 'kysely'

/**
 * What the reconciliation and data-quality reports (docs/reports.md) read by
 * the ledger's clock: the taps recorded, the transfers posted and the records
 * rejected within a range of instants.
 *
 * - `taps.recorded_at` and `transfers.created_at` are the ledger's transaction
 *   time, so rows arrive in (nearly) that order: a BRIN index (one summary per
 *   128 pages, a few kilobytes for millions of rows) finds a range of them and
 *   costs the ledger's inserts next to nothing, unlike a B-tree written on
 *   every row.
 * - `rejected_taps` is small and rarely written: a plain B-tree on
 *   `rejected_at` (the existing index leads with the code).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index taps_recorded_at on taps using brin (recorded_at)`.execute(db)
  await sql`create index transfers_created_at on transfers using brin (created_at)`.execute(db)
  await sql`create index rejected_taps_rejected_at on rejected_taps (rejected_at)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists rejected_taps_rejected_at`.execute(db)
  await sql`drop index if exists transfers_created_at`.execute(db)
  await sql`drop index if exists taps_recorded_at`.execute(db)
}
