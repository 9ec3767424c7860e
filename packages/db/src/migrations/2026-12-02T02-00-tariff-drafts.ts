import { type Kysely, sql } from 'kysely'

/**
 * Tariff drafts: feeds an admin uploaded and may simulate on past taps before
 * publishing one. A draft is not a tariff version: the ledger reads only
 * `tariff_versions`, so nothing rates with a draft until it is activated, and
 * activating records the version it became.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tariff_drafts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    // The feed's .txt files as uploaded ({"agency.txt": "...", ...}) and their digest, as tariff_versions keeps them.
    .addColumn('files', 'jsonb', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('uploaded_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('activated_version_id', 'bigint', (c) => c.references('tariff_versions.id'))
    .addColumn('activated_effective_from', 'timestamptz')
    .addColumn('activated_by', 'text')
    .addColumn('activated_at', 'timestamptz')
    .addCheckConstraint(
      'tariff_drafts_activation_whole',
      sql`(activated_version_id is null) = (activated_effective_from is null)
        and (activated_version_id is null) = (activated_by is null)
        and (activated_version_id is null) = (activated_at is null)`,
    )
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('tariff_drafts').ifExists().execute()
}
