import { type Kysely, sql } from 'kysely'

/**
 * What each transfer row costs Postgres to write, measured on 32,366 ledger
 * transfers (docs/benchmarks.md): 830 ms before, 400 ms after.
 *
 * - The two foreign keys to accounts ran two lookups per row, each locking the
 *   account row (KEY SHARE): about a third of the cost. They become one
 *   statement-level check over all inserted rows (same refusal, SQLSTATE
 *   23503), and accounts can no longer be deleted, which is what the foreign
 *   keys' locks were guarding against. Accounts are closed, never deleted.
 * - The explanation is stored as `json`, the document exactly as the ledger
 *   wrote it (key order kept), instead of `jsonb`, whose conversion cost three
 *   times as much to parse; `->` and `->>` still work on it.
 * - `journey_id` is looked up only for revenue splits, so only those rows are
 *   indexed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table transfers drop constraint transfers_debit_account_id_fkey, drop constraint transfers_credit_account_id_fkey`.execute(db)
  await sql`
    create function transfers_accounts_exist() returns trigger language plpgsql as $$
    begin
      if exists (
        select 1 from inserted i
        where not exists (select 1 from accounts a where a.id = i.debit_account_id)
           or not exists (select 1 from accounts a where a.id = i.credit_account_id)
      ) then
        raise exception 'a transfer names an account that does not exist' using errcode = '23503';
      end if;
      return null;
    end $$`.execute(db)
  await sql`
    create trigger transfers_accounts_exist after insert on transfers
    referencing new table as inserted for each statement execute function transfers_accounts_exist()`.execute(db)
  await sql`
    create function accounts_are_kept() returns trigger language plpgsql as $$
    begin
      raise exception 'accounts are never deleted (% refused); transfers refer to them', tg_op using errcode = 'P0001';
    end $$`.execute(db)
  await sql`create trigger accounts_kept before delete or truncate on accounts for each statement execute function accounts_are_kept()`.execute(db)
  await sql`revoke delete, truncate on accounts from fare_app`.execute(db)

  await sql`alter table transfers alter column explanation type json using explanation::json`.execute(db)

  await db.schema.dropIndex('transfers_journey').execute()
  await sql`create index transfers_split_journey on transfers (journey_id) where reason = 'revenue_split'`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists transfers_split_journey`.execute(db)
  await db.schema.createIndex('transfers_journey').on('transfers').column('journey_id').execute()
  await sql`alter table transfers alter column explanation type jsonb using explanation::jsonb`.execute(db)
  await sql`grant delete on accounts to fare_app`.execute(db)
  await sql`drop trigger if exists accounts_kept on accounts`.execute(db)
  await sql`drop function if exists accounts_are_kept()`.execute(db)
  await sql`drop trigger if exists transfers_accounts_exist on transfers`.execute(db)
  await sql`drop function if exists transfers_accounts_exist()`.execute(db)
  await sql`
    alter table transfers
      add constraint transfers_debit_account_id_fkey foreign key (debit_account_id) references accounts (id),
      add constraint transfers_credit_account_id_fkey foreign key (credit_account_id) references accounts (id)`.execute(db)
}
