import { type Kysely, sql } from 'kysely'

/**
 * What the ledger needs beyond the foundation: rejected taps (the dead-letter
 * rows, one per Kafka record), the balance a denied card must reach to be
 * restored, and the application role `fare_app`, which may not UPDATE or
 * DELETE transfers or taps. Roles are cluster-wide: creating it must be
 * idempotent and survive several test databases migrating at once.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rejected_taps')
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('partition', 'integer', (c) => c.notNull())
    .addColumn('offset', 'bigint', (c) => c.notNull())
    .addColumn('tap_id', 'text')
    .addColumn('card_token', 'text')
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    // The record as received (utf-8), so an operator can replay or inspect it.
    .addColumn('value', 'text')
    .addColumn('rejected_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('rejected_taps_pk', ['topic', 'partition', 'offset'])
    .execute()
  await db.schema.createIndex('rejected_taps_code').on('rejected_taps').columns(['code', 'rejected_at']).execute()

  // A denied card is restored when its balance reaches this (what one ride may take minus the credit allowance).
  await db.schema
    .alterTable('deny_list')
    .addColumn('restore_balance', 'numeric(20, 2)', (c) => c.notNull().defaultTo(0))
    .execute()

  await db.schema.createIndex('transfers_journey').on('transfers').column('journey_id').execute()

  await sql`
    do $$
    begin
      if not exists (select 1 from pg_roles where rolname = 'fare_app') then
        begin
          create role fare_app login nosuperuser nocreatedb nocreaterole;
        exception when duplicate_object or unique_violation then
          null; -- created concurrently by another database's migration
        end;
      end if;
    end $$`.execute(db)
  await sql`grant usage on schema public to fare_app`.execute(db)
  await sql`grant select, insert, update, delete on all tables in schema public to fare_app`.execute(db)
  await sql`revoke update, delete, truncate on transfers, taps from fare_app`.execute(db)
  await sql`grant usage, select on all sequences in schema public to fare_app`.execute(db)
  await sql`alter default privileges in schema public grant select, insert, update, delete on tables to fare_app`.execute(db)
  await sql`alter default privileges in schema public grant usage, select on sequences to fare_app`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`revoke all on all tables in schema public from fare_app`.execute(db)
  await sql`revoke all on all sequences in schema public from fare_app`.execute(db)
  await sql`alter default privileges in schema public revoke all on tables from fare_app`.execute(db)
  await sql`alter default privileges in schema public revoke all on sequences from fare_app`.execute(db)
  await db.schema.dropIndex('transfers_journey').ifExists().execute()
  await db.schema.alterTable('deny_list').dropColumn('restore_balance').execute()
  await db.schema.dropTable('rejected_taps').ifExists().execute()
}
