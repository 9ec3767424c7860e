import { type Kysely, sql } from 'kysely'

/**
 * The first tables: operators, card accounts, taps, immutable transfers and
 * the Kafka offsets the ledger commits in the same Postgres transaction as its
 * writes. Migrations import nothing from the app.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('operators')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()

  await db.schema
    .createTable('accounts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('rider', 'operator_revenue', 'top_up_clearing', 'concession', 'refunds')`))
    .addColumn('operator_id', 'text', (c) => c.references('operators.id'))
    .addColumn('currency', 'char(3)', (c) => c.notNull())
    // Cached balance (credits minus debits), updated in the same transaction as the transfers.
    .addColumn('balance', 'numeric(20, 2)', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('operator_revenue_has_operator', sql`(kind = 'operator_revenue') = (operator_id is not null)`)
    .execute()
  // One revenue account per operator and currency; one of each system account per currency.
  await sql`create unique index accounts_operator_revenue on accounts (operator_id, currency) where kind = 'operator_revenue'`.execute(db)
  await sql`create unique index accounts_system on accounts (kind, currency) where kind in ('top_up_clearing', 'concession', 'refunds')`.execute(db)

  await db.schema
    .createTable('cards')
    .addColumn('card_token', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'bigint', (c) => c.notNull().unique().references('accounts.id'))
    .addColumn('rider_id', 'text')
    .addColumn('rider_category_id', 'text', (c) => c.notNull().defaultTo('adult'))
    .addColumn('category_valid_from', 'date')
    .addColumn('category_valid_to', 'date')
    .addColumn('fare_media_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active').check(sql`status in ('active', 'blocked')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()

  await db.schema
    .createTable('taps')
    .addColumn('tap_id', 'uuid', (c) => c.primaryKey())
    .addColumn('card_token', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('entry', 'exit')`))
    .addColumn('tapped_at', 'timestamptz', (c) => c.notNull())
    // The validator's own ISO string, offset included: the fare engine rates local time from it.
    .addColumn('tapped_at_text', 'text', (c) => c.notNull())
    .addColumn('route_id', 'text', (c) => c.notNull())
    .addColumn('stop_id', 'text')
    .addColumn('vehicle_id', 'text')
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('operator_id', 'text', (c) => c.notNull())
    .addColumn('device_seq', 'bigint')
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .addColumn('kafka_partition', 'integer', (c) => c.notNull())
    .addColumn('kafka_offset', 'bigint', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('taps_card_time').on('taps').columns(['card_token', 'tapped_at']).execute()
  await db.schema.createIndex('taps_device_seq').on('taps').columns(['device_id', 'device_seq']).execute()

  await db.schema
    .createTable('transfers')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('debit_account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('credit_account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('amount', 'numeric(20, 2)', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('currency', 'char(3)', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('fare', 'fare_adjustment', 'top_up', 'refund', 'concession', 'manual_adjustment')`))
    .addColumn('tap_id', 'uuid')
    .addColumn('journey_id', 'text')
    .addColumn('reason', 'text')
    .addColumn('explanation', 'jsonb')
    .addColumn('idempotency_key', 'text', (c) => c.unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('transfers_distinct_accounts', sql`debit_account_id <> credit_account_id`)
    .execute()
  await db.schema.createIndex('transfers_debit').on('transfers').column('debit_account_id').execute()
  await db.schema.createIndex('transfers_credit').on('transfers').column('credit_account_id').execute()
  await db.schema.createIndex('transfers_tap').on('transfers').column('tap_id').execute()

  // Transfers are immutable: a mistake is fixed by a new correcting transfer, never an edit.
  await sql`
    create function transfers_are_immutable() returns trigger language plpgsql as $$
    begin
      raise exception 'transfers are immutable (% refused)', tg_op using errcode = 'P0001';
    end $$`.execute(db)
  await sql`
    create trigger transfers_immutable before update or delete or truncate on transfers
    for each statement execute function transfers_are_immutable()`.execute(db)

  await db.schema
    .createTable('kafka_offsets')
    .addColumn('consumer_group', 'text', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('partition', 'integer', (c) => c.notNull())
    .addColumn('next_offset', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('kafka_offsets_pk', ['consumer_group', 'topic', 'partition'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['kafka_offsets', 'transfers', 'taps', 'cards', 'accounts', 'operators']) {
    await db.schema.dropTable(table).ifExists().execute()
  }
  await sql`drop function if exists transfers_are_immutable() cascade`.execute(db)
}
