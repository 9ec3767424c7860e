import { type Kysely, sql } from 'kysely'

/**
 * What validators are given back and who they are: registered devices, the
 * versioned deny list, and tariff versions. The ledger writes the deny list and
 * reads tariffs; ingest reads all three; the api administers them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('devices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('operator_id', 'text', (c) => c.notNull().references('operators.id'))
    .addColumn('public_key_pem', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active').check(sql`status in ('active', 'revoked')`))
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()

  // Every change is a new row; a validator asks for the changes after the version it has.
  await db.schema
    .createTable('deny_list_changes')
    .addColumn('version', 'bigserial', (c) => c.primaryKey())
    .addColumn('card_token', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull().check(sql`action in ('add', 'remove')`))
    .addColumn('reason', 'text')
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('deny_list_changes_card').on('deny_list_changes').columns(['card_token', 'version']).execute()
  // The current list: a card is denied while it has a row here.
  await db.schema
    .createTable('deny_list')
    .addColumn('card_token', 'text', (c) => c.primaryKey())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('added_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()

  await db.schema
    .createTable('tariff_versions')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('effective_from', 'timestamptz', (c) => c.notNull().unique())
    // The GTFS feed's files as uploaded ({"agency.txt": "...", ...}) and their digest (the ETag).
    .addColumn('files', 'jsonb', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['tariff_versions', 'deny_list', 'deny_list_changes', 'devices']) await db.schema.dropTable(table).ifExists().execute()
}
