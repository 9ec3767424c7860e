import { type Kysely, sql } from 'kysely'

/**
 * The reconciliation report's money by the hour (`transfer_hours`): per UTC
 * hour of posting, currency, transfer kind and the kinds (and operators) of
 * its two accounts, with a rider's account as plain 'rider', how many
 * transfers and their sum. The report reads the hours inside its range from
 * here and only the part-hours at its ends from `transfers`, instead of
 * every transfer since the range's start (a month: millions).
 *
 * Kept by a statement-level trigger on `transfers`, so every way a transfer
 * is posted (the ledger's batches, top-ups, refunds, adjustments) keeps it,
 * in the posting's own transaction. Its rows need no locks of their own: a
 * row names the non-rider accounts of its transfers, and whoever posts a
 * transfer already holds both accounts' rows locked (their balances move),
 * so two transactions writing one rollup row were already waiting on each
 * other. `ledger:check` compares it with `transfers`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table transfer_hours (
      hour timestamptz not null,
      currency char(3) not null,
      kind text not null,
      debit_kind text not null,
      debit_operator text,
      credit_kind text not null,
      credit_operator text,
      transfers bigint not null,
      amount numeric(20, 2) not null,
      constraint transfer_hours_key unique nulls not distinct (hour, currency, kind, debit_kind, debit_operator, credit_kind, credit_operator)
    )`.execute(db)
  await sql`
    create function transfer_hours_add() returns trigger language plpgsql as $$
    begin
      insert into transfer_hours (hour, currency, kind, debit_kind, debit_operator, credit_kind, credit_operator, transfers, amount)
      select date_trunc('hour', n.created_at, 'UTC'), n.currency, n.kind, d.kind, case when d.kind = 'rider' then null else d.operator_id end,
             c.kind, case when c.kind = 'rider' then null else c.operator_id end, count(*), sum(n.amount)
      from posted n join accounts d on d.id = n.debit_account_id join accounts c on c.id = n.credit_account_id
      group by 1, 2, 3, 4, 5, 6, 7
      order by 1, 2, 3, 4, 5, 6, 7
      on conflict on constraint transfer_hours_key do update
        set transfers = transfer_hours.transfers + excluded.transfers, amount = transfer_hours.amount + excluded.amount;
      return null;
    end $$`.execute(db)
  // Transfers are never updated or deleted (triggers refuse it): inserts are the only change to follow.
  await sql`
    create trigger transfers_hours after insert on transfers referencing new table as posted
    for each statement execute function transfer_hours_add()`.execute(db)
  await sql`
    insert into transfer_hours (hour, currency, kind, debit_kind, debit_operator, credit_kind, credit_operator, transfers, amount)
    select date_trunc('hour', n.created_at, 'UTC'), n.currency, n.kind, d.kind, case when d.kind = 'rider' then null else d.operator_id end,
           c.kind, case when c.kind = 'rider' then null else c.operator_id end, count(*), sum(n.amount)
    from transfers n join accounts d on d.id = n.debit_account_id join accounts c on c.id = n.credit_account_id
    group by 1, 2, 3, 4, 5, 6, 7`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists transfers_hours on transfers`.execute(db)
  await sql`drop function if exists transfer_hours_add()`.execute(db)
  await sql`drop table if exists transfer_hours`.execute(db)
}
