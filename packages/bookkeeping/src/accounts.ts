/**
 * Accounts of the double-entry book. Every balance is credits minus debits,
 * so the balances of all accounts always sum to zero.
 */
import type { AccountKind, Database, Db } from '@fare/db'
import type { Transaction } from 'kysely'

export type Executor = Db | Transaction<Database>

type SystemAccountKind = Exclude<AccountKind, 'rider' | 'operator_revenue'>

async function findOrCreate(_db: Executor, find: () => Promise<{ id: string } | undefined>, create: () => Promise<unknown>): Promise<string> {
  const existing = await find()
  if (existing) return existing.id
  await create()
  const created = await find()
  if (!created) throw new Error('account could not be created')
  return created.id
}

export async function systemAccountId(db: Executor, kind: SystemAccountKind, currency: string): Promise<string> {
  return findOrCreate(
    db,
    () => db.selectFrom('accounts').select('id').where('kind', '=', kind).where('currency', '=', currency).executeTakeFirst(),
    () =>
      db
        .insertInto('accounts')
        .values({ kind, currency })
        .onConflict((oc) => oc.doNothing())
        .execute(),
  )
}

export async function ensureOperator(db: Executor, operatorId: string, name: string): Promise<void> {
  await db
    .insertInto('operators')
    .values({ id: operatorId, name })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute()
}

export async function revenueAccountId(db: Executor, operatorId: string, currency: string): Promise<string> {
  return findOrCreate(
    db,
    () =>
      db
        .selectFrom('accounts')
        .select('id')
        .where('kind', '=', 'operator_revenue')
        .where('operator_id', '=', operatorId)
        .where('currency', '=', currency)
        .executeTakeFirst(),
    () =>
      db
        .insertInto('accounts')
        .values({ kind: 'operator_revenue', operator_id: operatorId, currency })
        .onConflict((oc) => oc.doNothing())
        .execute(),
  )
}

export interface NewCardAccount {
  cardToken: string
  currency: string
  riderCategoryId?: string
  riderId?: string
  fareMediaId?: string
}

/** Opens a card and its stored-value account; an existing card is left as it is. Returns the account id. */
export async function openCard(db: Executor, card: NewCardAccount): Promise<string> {
  const existing = await db.selectFrom('cards').select('account_id').where('card_token', '=', card.cardToken).executeTakeFirst()
  if (existing) return existing.account_id
  const account = await db.insertInto('accounts').values({ kind: 'rider', currency: card.currency }).returning('id').executeTakeFirstOrThrow()
  await db
    .insertInto('cards')
    .values({
      card_token: card.cardToken,
      account_id: account.id,
      rider_category_id: card.riderCategoryId ?? 'adult',
      rider_id: card.riderId ?? null,
      fare_media_id: card.fareMediaId ?? null,
    })
    .execute()
  return account.id
}
