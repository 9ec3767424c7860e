import { type Kysely, sql } from 'kysely'

/**
 * What administrators need (docs/administration.md):
 *  - `idempotency_records`: one row per (caller, Idempotency-Key), with the
 *    request's hash and the answer given, written in the same transaction as
 *    the money it guards, so a retry gets the first answer from any api
 *    process, before or after a restart;
 *  - `admin_actions`: who did what (actor, role, action, target, reason, the
 *    transfer it posted), append-only like transfers;
 *  - cards remember the card that replaced them (`replaced_by`), which the
 *    ledger follows so a new card carries on its predecessor's cap progress;
 *  - cards keep their earlier rider categories (`card_category_history`),
 *    so a category change applies to rides after it only;
 *  - devices remember when they last traded an assertion for a token;
 *  - a `balance_move` transfer kind (a replaced card's balance) and an
 *    `adjustments` system account (the other side of manual adjustments).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('idempotency_records')
    .addColumn('caller', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_body', 'json')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('idempotency_records_pk', ['caller', 'key'])
    .execute()

  await db.schema
    .createTable('admin_actions')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('actor_subject', 'text', (c) => c.notNull())
    .addColumn('actor_role', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('transfer_id', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await sql`create index admin_actions_transfer on admin_actions (transfer_id) where transfer_id is not null`.execute(db)
  await db.schema.createIndex('admin_actions_target').on('admin_actions').columns(['target', 'created_at']).execute()
  // The record of who did what is never rewritten: the same refusal as for transfers.
  await sql`
    create trigger admin_actions_immutable before update or delete or truncate on admin_actions
    for each statement execute function transfers_are_immutable()`.execute(db)
  await sql`revoke update, delete, truncate on admin_actions from fare_app`.execute(db)

  await db.schema
    .alterTable('cards')
    .addColumn('replaced_by', 'text', (c) => c.references('cards.card_token'))
    .execute()
  // The ledger follows replacements back from the cards of every batch (loadPredecessors in @fare/tariffs).
  await sql`create index cards_replaced_by on cards (replaced_by) where replaced_by is not null`.execute(db)
  await db.schema.alterTable('devices').addColumn('last_token_at', 'timestamptz').execute()

  // A card's earlier rider categories, each with the instant it ended: taps before that instant are
  // rated with it, so a category change never re-prices the rides taken before it.
  await db.schema
    .createTable('card_category_history')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('card_token', 'text', (c) => c.notNull().references('cards.card_token'))
    .addColumn('rider_category_id', 'text', (c) => c.notNull())
    .addColumn('category_valid_from', 'date')
    .addColumn('category_valid_to', 'date')
    .addColumn('until', 'timestamptz', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('card_category_history_card').on('card_category_history').columns(['card_token', 'until']).execute()

  await sql`alter table transfers drop constraint transfers_kind_check`.execute(db)
  await sql`
    alter table transfers add constraint transfers_kind_check
    check (kind in ('fare', 'fare_adjustment', 'top_up', 'refund', 'concession', 'manual_adjustment', 'balance_move'))`.execute(db)
  await sql`alter table accounts drop constraint accounts_kind_check`.execute(db)
  await sql`
    alter table accounts add constraint accounts_kind_check
    check (kind in ('rider', 'operator_revenue', 'top_up_clearing', 'concession', 'refunds', 'adjustments'))`.execute(db)
  await sql`drop index accounts_system`.execute(db)
  await sql`create unique index accounts_system on accounts (kind, currency) where kind in ('top_up_clearing', 'concession', 'refunds', 'adjustments')`.execute(
    db,
  )
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index accounts_system`.execute(db)
  await sql`create unique index accounts_system on accounts (kind, currency) where kind in ('top_up_clearing', 'concession', 'refunds')`.execute(db)
  await sql`alter table accounts drop constraint accounts_kind_check`.execute(db)
  await sql`alter table accounts add constraint accounts_kind_check
    check (kind in ('rider', 'operator_revenue', 'top_up_clearing', 'concession', 'refunds'))`.execute(db)
  await sql`alter table transfers drop constraint transfers_kind_check`.execute(db)
  await sql`
    alter table transfers add constraint transfers_kind_check
    check (kind in ('fare', 'fare_adjustment', 'top_up', 'refund', 'concession', 'manual_adjustment'))`.execute(db)
  await db.schema.dropTable('card_category_history').ifExists().execute()
  await db.schema.alterTable('devices').dropColumn('last_token_at').execute()
  await db.schema.alterTable('cards').dropColumn('replaced_by').execute()
  await db.schema.dropTable('admin_actions').ifExists().execute()
  await db.schema.dropTable('idempotency_records').ifExists().execute()
}
