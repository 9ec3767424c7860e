import { moneyFromDb } from '@fare/db'
import type { Decimal } from '@fare/money'
import type { Executor } from './accounts.ts'

export interface CardBalance {
  cardToken: string
  accountId: string
  /** `blocked` by an admin; else `denied` while on the deny list (docs/ledger.md); else `active`. */
  status: 'active' | 'denied' | 'blocked'
  riderCategoryId: string
  riderId: string | null
  balance: Decimal
  currency: string
}

export async function cardBalance(db: Executor, cardToken: string): Promise<CardBalance | undefined> {
  const row = await db
    .selectFrom('cards')
    .innerJoin('accounts', 'accounts.id', 'cards.account_id')
    .leftJoin('deny_list', 'deny_list.card_token', 'cards.card_token')
    .select([
      'cards.card_token',
      'cards.account_id',
      'cards.status',
      'cards.rider_category_id',
      'cards.rider_id',
      'accounts.balance',
      'accounts.currency',
      'deny_list.version as denyListVersion',
    ])
    .where('cards.card_token', '=', cardToken)
    .executeTakeFirst()
  if (!row) return undefined
  return {
    cardToken: row.card_token,
    accountId: row.account_id,
    status: row.status === 'blocked' ? 'blocked' : row.denyListVersion !== null ? 'denied' : 'active',
    riderCategoryId: row.rider_category_id,
    riderId: row.rider_id,
    balance: moneyFromDb(row.balance),
    currency: row.currency.trim(),
  }
}
