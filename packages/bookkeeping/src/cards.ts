/**
 * An administrator's changes to cards: issue one, change its rider category,
 * block and unblock it, replace a lost one. Each runs in one Postgres
 * transaction with its audit row; the deny list follows in the same
 * transaction, so validators never see a card blocked here but listed there.
 */

import { type Db, moneyFromDb } from '@fare/db'
import { type Decimal, ZERO } from '@fare/money'
import type { Executor } from './accounts.ts'
import { type Actor, recordAdminAction } from './audit.ts'
import { addToDenyList, removeFromDenyList } from './deny-list.ts'
import { Refusal } from './refusals.ts'
import { postTransfers } from './transfers.ts'

export interface CardCategory {
  readonly riderCategoryId: string
  /** YYYY-MM-DD, inclusive; null: from always. */
  readonly validFrom?: string | null
  /** YYYY-MM-DD, inclusive; null: for ever. */
  readonly validTo?: string | null
}

export interface NewCard extends CardCategory {
  readonly cardToken: string
  readonly currency: string
  readonly riderId?: string | null
  readonly fareMediaId?: string | null
}

export interface AdminCardView {
  readonly cardToken: string
  readonly accountId: string
  readonly riderId: string | null
  readonly riderCategoryId: string
  readonly categoryValidFrom: string | null
  readonly categoryValidTo: string | null
  readonly fareMediaId: string | null
  readonly status: 'active' | 'blocked'
  /** On the deny list (blocked cards always are). */
  readonly denied: boolean
  readonly replacedBy: string | null
  readonly balance: Decimal
  readonly currency: string
  readonly createdAt: Date
}

export async function adminCardView(db: Executor, cardToken: string): Promise<AdminCardView | undefined> {
  const r = await db
    .selectFrom('cards as c')
    .innerJoin('accounts as a', 'a.id', 'c.account_id')
    .leftJoin('deny_list as d', 'd.card_token', 'c.card_token')
    .select((eb) => [
      'c.card_token',
      'c.account_id',
      'c.rider_id',
      'c.rider_category_id',
      // As text: node-pg reads a date column as a JS Date at local midnight, not as the date.
      eb.fn<string | null>('to_char', ['c.category_valid_from', eb.val('YYYY-MM-DD')]).as('valid_from'),
      eb.fn<string | null>('to_char', ['c.category_valid_to', eb.val('YYYY-MM-DD')]).as('valid_to'),
      'c.fare_media_id',
      'c.status',
      eb('d.card_token', 'is not', null).as('denied'),
      'c.replaced_by',
      'a.balance',
      'a.currency',
      'c.created_at',
    ])
    .where('c.card_token', '=', cardToken)
    .executeTakeFirst()
  if (!r) return undefined
  return {
    cardToken: r.card_token,
    accountId: r.account_id,
    riderId: r.rider_id,
    riderCategoryId: r.rider_category_id,
    categoryValidFrom: r.valid_from,
    categoryValidTo: r.valid_to,
    fareMediaId: r.fare_media_id,
    status: r.status,
    denied: r.denied === true,
    replacedBy: r.replaced_by,
    balance: moneyFromDb(r.balance),
    currency: r.currency.trim(),
    createdAt: r.created_at,
  }
}

/** A real calendar day (2026-02-30 is not). */
function isCalendarDate(text: string): boolean {
  const date = new Date(`${text}T00:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text
}

function checkCategoryDates(category: CardCategory): void {
  for (const date of [category.validFrom, category.validTo]) {
    if (date != null && !isCalendarDate(date)) throw new Refusal('category_dates_invalid', `${date} is not a calendar date`)
  }
  if (category.validFrom != null && category.validTo != null && category.validFrom > category.validTo) {
    throw new Refusal('category_dates_invalid', 'the category is valid to a date before it is valid from')
  }
}

interface LockedCard {
  readonly cardToken: string
  readonly accountId: string
  readonly status: 'active' | 'blocked'
  readonly replacedBy: string | null
}

/** Locks the card's row for this transaction's change; unknown: card_not_found. */
async function lockCard(trx: Executor, cardToken: string): Promise<LockedCard> {
  const row = await trx
    .selectFrom('cards')
    .select(['card_token', 'account_id', 'status', 'replaced_by'])
    .where('card_token', '=', cardToken)
    .forUpdate()
    .executeTakeFirst()
  if (!row) throw new Refusal('card_not_found', 'no such card')
  return { cardToken: row.card_token, accountId: row.account_id, status: row.status, replacedBy: row.replaced_by }
}

/** Opens a card and its account; a token already issued is card_exists (never changed). */
async function insertCard(trx: Executor, card: NewCard): Promise<string> {
  const account = await trx.insertInto('accounts').values({ kind: 'rider', currency: card.currency }).returning('id').executeTakeFirstOrThrow()
  const inserted = await trx
    .insertInto('cards')
    .values({
      card_token: card.cardToken,
      account_id: account.id,
      rider_id: card.riderId ?? null,
      rider_category_id: card.riderCategoryId,
      category_valid_from: card.validFrom ?? null,
      category_valid_to: card.validTo ?? null,
      fare_media_id: card.fareMediaId ?? null,
    })
    .onConflict((oc) => oc.column('card_token').doNothing())
    .returning('card_token')
    .executeTakeFirst()
  // The account opened above rolls back with the transaction the refusal ends.
  if (!inserted) throw new Refusal('card_exists', `card ${card.cardToken} is already issued`)
  return account.id
}

async function viewOf(trx: Executor, cardToken: string): Promise<AdminCardView> {
  const view = await adminCardView(trx, cardToken)
  if (!view) throw new Error(`card ${cardToken} vanished inside its own transaction`)
  return view
}

export async function issueCard(db: Db, actor: Actor, card: NewCard): Promise<AdminCardView> {
  checkCategoryDates(card)
  return db.transaction().execute(async (trx) => {
    await insertCard(trx, card)
    await recordAdminAction(trx, { actor, action: 'card.create', target: card.cardToken })
    return viewOf(trx, card.cardToken)
  })
}

/**
 * The card's rider category and its validity from now on. The category it had
 * is kept in `card_category_history` until now (the transaction's time): the
 * ledger rates taps before that instant with it, so rides already taken are
 * never re-priced, and caps start afresh at the change.
 */
export async function changeCategory(db: Db, actor: Actor, cardToken: string, category: CardCategory & { reason?: string | null }): Promise<AdminCardView> {
  checkCategoryDates(category)
  return db.transaction().execute(async (trx) => {
    await lockCard(trx, cardToken)
    await trx
      .insertInto('card_category_history')
      .columns(['card_token', 'rider_category_id', 'category_valid_from', 'category_valid_to', 'until'])
      .expression((eb) =>
        eb
          .selectFrom('cards')
          .select((s) => ['card_token', 'rider_category_id', 'category_valid_from', 'category_valid_to', s.fn<Date>('now', []).as('until')])
          .where('card_token', '=', cardToken),
      )
      .execute()
    await trx
      .updateTable('cards')
      .set({ rider_category_id: category.riderCategoryId, category_valid_from: category.validFrom ?? null, category_valid_to: category.validTo ?? null })
      .where('card_token', '=', cardToken)
      .execute()
    await recordAdminAction(trx, { actor, action: 'card.category', target: cardToken, reason: category.reason ?? null })
    return viewOf(trx, cardToken)
  })
}

/**
 * Blocks the card and lists it (reason `blocked: ...` in the list's change
 * log). Blocking a blocked card changes nothing and records nothing. A card
 * listed for its balance keeps its restore balance; one listed only for the
 * block gets 0, so unblocking it with a debt leaves it listed until a top-up.
 */
export async function blockCard(db: Db, actor: Actor, cardToken: string, reason: string): Promise<AdminCardView> {
  return db.transaction().execute(async (trx) => {
    const card = await lockCard(trx, cardToken)
    if (card.status === 'blocked') return viewOf(trx, cardToken)
    await trx.updateTable('cards').set({ status: 'blocked' }).where('card_token', '=', cardToken).execute()
    await addToDenyList(trx, cardToken, `blocked: ${reason}`, ZERO)
    await recordAdminAction(trx, { actor, action: 'card.block', target: cardToken, reason })
    return viewOf(trx, cardToken)
  })
}

/**
 * Unblocks the card; it comes off the deny list unless its balance is still
 * below its restore balance (then a top-up takes it off). A replaced card
 * stays blocked: card_replaced. Unblocking an active card changes nothing.
 */
export async function unblockCard(db: Db, actor: Actor, cardToken: string, reason: string): Promise<AdminCardView> {
  return db.transaction().execute(async (trx) => {
    const card = await lockCard(trx, cardToken)
    if (card.replacedBy !== null) throw new Refusal('card_replaced', `card was replaced by another; it stays blocked`)
    if (card.status === 'active') return viewOf(trx, cardToken)
    await trx.updateTable('cards').set({ status: 'active' }).where('card_token', '=', cardToken).execute()
    const row = await trx
      .selectFrom('deny_list as d')
      .innerJoin('cards as c', 'c.card_token', 'd.card_token')
      .innerJoin('accounts as a', 'a.id', 'c.account_id')
      .select(['a.balance', 'd.restore_balance'])
      .where('d.card_token', '=', cardToken)
      .executeTakeFirst()
    if (row && !moneyFromDb(row.balance).lessThan(moneyFromDb(row.restore_balance))) await removeFromDenyList(trx, cardToken, `unblocked: ${reason}`)
    await recordAdminAction(trx, { actor, action: 'card.unblock', target: cardToken, reason })
    return viewOf(trx, cardToken)
  })
}

/** A repeat of a replacement already made (a retry after a lost answer): the same answer, nothing moved again. */
async function replacementDone(trx: Executor, cardToken: string, newCardToken: string): Promise<Replacement> {
  const done = await trx
    .selectFrom('admin_actions')
    .select('transfer_id')
    .where('target', '=', cardToken)
    .where('action', '=', 'card.replace')
    .executeTakeFirst()
  return { old: await viewOf(trx, cardToken), replacement: await viewOf(trx, newCardToken), transferId: done?.transfer_id ?? null }
}

export interface Replacement {
  readonly old: AdminCardView
  readonly replacement: AdminCardView
  /** The balance_move transfer, or null when the old balance was zero. */
  readonly transferId: string | null
}

/**
 * Replaces a lost card, in one transaction: a new card with the old one's
 * rider, category and medium; the old balance moved to it as one
 * `balance_move` transfer (old -> new for a credit, new -> old for a debt), so
 * the old account ends at exactly zero; the old card blocked, listed, and
 * linked to the new one (`replaced_by`); the new card listed if the old one
 * was listed for a balance the moved balance still does not cover. Replacing
 * again with the same new token answers the replacement made (a retry);
 * with another, card_replaced; a new token already issued is card_exists.
 */
export async function replaceCard(db: Db, actor: Actor, cardToken: string, request: { newCardToken: string; reason: string }): Promise<Replacement> {
  return db.transaction().execute(async (trx) => {
    const old = await lockCard(trx, cardToken)
    if (old.replacedBy === request.newCardToken) return replacementDone(trx, cardToken, request.newCardToken)
    if (old.replacedBy !== null) throw new Refusal('card_replaced', `card was already replaced by another card`)
    if (request.newCardToken === cardToken) throw new Refusal('card_exists', 'a card cannot replace itself')
    const profile = await trx
      .selectFrom('cards')
      .innerJoin('accounts', 'accounts.id', 'cards.account_id')
      .select(['cards.rider_id', 'cards.rider_category_id', 'cards.fare_media_id', 'accounts.currency'])
      .select((eb) => [
        eb.fn<string | null>('to_char', ['cards.category_valid_from', eb.val('YYYY-MM-DD')]).as('valid_from'),
        eb.fn<string | null>('to_char', ['cards.category_valid_to', eb.val('YYYY-MM-DD')]).as('valid_to'),
      ])
      .where('cards.card_token', '=', cardToken)
      .executeTakeFirstOrThrow()
    const currency = profile.currency.trim()
    const newAccountId = await insertCard(trx, {
      cardToken: request.newCardToken,
      currency,
      riderId: profile.rider_id,
      riderCategoryId: profile.rider_category_id,
      validFrom: profile.valid_from,
      validTo: profile.valid_to,
      fareMediaId: profile.fare_media_id,
    })

    // Locked (as postTransfers will) before it is read: no charge can land between the read and the move.
    const locked = await trx.selectFrom('accounts').select('balance').where('id', '=', old.accountId).forNoKeyUpdate().executeTakeFirstOrThrow()
    const balance = moneyFromDb(locked.balance)
    let transferId: string | null = null
    if (!balance.isZero()) {
      transferId = crypto.randomUUID()
      const credit = balance.isPositive()
      await postTransfers(trx, [
        {
          id: transferId,
          debitAccountId: credit ? old.accountId : newAccountId,
          creditAccountId: credit ? newAccountId : old.accountId,
          amount: balance.abs(),
          currency,
          kind: 'balance_move',
          reason: 'card_replaced',
        },
      ])
    }

    const listing = await trx.selectFrom('deny_list').select('restore_balance').where('card_token', '=', cardToken).executeTakeFirst()
    await trx.updateTable('cards').set({ status: 'blocked', replaced_by: request.newCardToken }).where('card_token', '=', cardToken).execute()
    await addToDenyList(trx, cardToken, `replaced: ${request.reason}`, ZERO)
    if (listing && balance.lessThan(moneyFromDb(listing.restore_balance))) {
      await addToDenyList(trx, request.newCardToken, 'balance', moneyFromDb(listing.restore_balance))
    }
    await recordAdminAction(trx, { actor, action: 'card.replace', target: cardToken, reason: request.reason, transferId })
    await recordAdminAction(trx, { actor, action: 'card.create', target: request.newCardToken, reason: `replaces ${cardToken}` })
    return { old: await viewOf(trx, cardToken), replacement: await viewOf(trx, request.newCardToken), transferId }
  })
}
