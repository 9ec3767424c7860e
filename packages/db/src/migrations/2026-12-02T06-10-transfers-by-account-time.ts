import type { Kysely } from 'kysely'

/**
 * An account's transfers by posting time: the single-column indexes on the
 * debit and credit account become (account, created_at), so an account's
 * transfers of a period (an operator's monthly statement, a rider's
 * statement) are read from the index range of that period instead of every
 * transfer the account ever had. Still two indexes per row written, each one
 * timestamp wider; every query on the account alone can use them as before.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('transfers_debit_time').on('transfers').columns(['debit_account_id', 'created_at']).execute()
  await db.schema.createIndex('transfers_credit_time').on('transfers').columns(['credit_account_id', 'created_at']).execute()
  await db.schema.dropIndex('transfers_debit').execute()
  await db.schema.dropIndex('transfers_credit').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('transfers_debit').on('transfers').column('debit_account_id').execute()
  await db.schema.createIndex('transfers_credit').on('transfers').column('credit_account_id').execute()
  await db.schema.dropIndex('transfers_debit_time').execute()
  await db.schema.dropIndex('transfers_credit_time').execute()
}
