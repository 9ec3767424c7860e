/**
 * The deny list (docs/validators.md section 4): a card
 * whose balance can no longer cover what one more ride may take, credit
 * allowance included, is added; a balance that reaches `restore_balance`
 * again removes it. Every add and remove is a new `deny_list_changes` row (the
 * version validators fetch deltas from). Runs inside the caller's Postgres
 * transaction, after the balances moved, so the list never disagrees with them.
 */

import { anyOf, moneyFromDb } from '@fare/db'
import type { Decimal } from '@fare/money'
import type { Executor } from './accounts.ts'

/**
 * Deny-list versions come from the `deny_list_changes` bigserial, which is
 * handed out at INSERT time, not at commit: two transactions can commit out of
 * version order (B takes 11 and commits, A took 10 and commits later), and a
 * validator that already fetched `since=11` would never see 10. So every
 * writer of `deny_list_changes` first takes this transaction-level advisory
 * lock (fixed key, released at commit or rollback): writers are serialised
 * from their first version to their commit, and versions become visible in
 * order. Only transactions that really change the list take it, right before
 * their first insert, so it is held only for the tail of such a transaction.
 * No deadlock: a holder takes no other lock after it but its own rows.
 * Two int4 keys (not one bigint) so it can never collide with the hashtext()
 * keys of other advisory locks (the two key spaces do not overlap).
 */
const DENY_LIST_LOCK = [0x66617265 /* 'fare' */, 1] as const

async function lockDenyListVersions(trx: Executor): Promise<void> {
  // Literal int4 keys (both below 2^31), so Postgres picks the two-key form.
  await trx.selectNoFrom((eb) => eb.fn('pg_advisory_xact_lock', [eb.lit(DENY_LIST_LOCK[0]), eb.lit(DENY_LIST_LOCK[1])]).as('locked')).execute()
}

export interface DenyCheck {
  readonly cardToken: string
  /** The most one more ride may take for this card (its category's highest fare). */
  readonly maxRideAmount: Decimal
  /** How far below zero the balance may go (Lutsk: one ride on credit). */
  readonly creditAllowance: Decimal
}

export interface DenyListUpdate {
  added: string[]
  removed: string[]
}

/**
 * A card is denied when balance + creditAllowance < maxRideAmount, and is
 * restored once balance >= maxRideAmount - creditAllowance.
 */
export async function refreshDenyList(trx: Executor, checks: readonly DenyCheck[], reason = 'balance'): Promise<DenyListUpdate> {
  const update: DenyListUpdate = { added: [], removed: [] }
  if (checks.length === 0) return update
  const tokens = checks.map((c) => c.cardToken)
  const rows = await trx
    .selectFrom('cards as c')
    .innerJoin('accounts as a', 'a.id', 'c.account_id')
    .leftJoin('deny_list as d', 'd.card_token', 'c.card_token')
    .select(['c.card_token', 'a.balance', 'd.version', 'c.status'])
    .where('c.card_token', '=', anyOf(tokens, 'text'))
    .execute()
  const byToken = new Map(rows.map((r) => [r.card_token, r]))
  const toAdd: { token: string; restore: Decimal }[] = []
  const toRemove: string[] = []
  for (const check of checks) {
    const row = byToken.get(check.cardToken)
    if (!row) continue
    const balance = moneyFromDb(row.balance)
    const restore = check.maxRideAmount.minus(check.creditAllowance)
    const denied = row.version !== null
    if (!denied && balance.lessThan(restore)) toAdd.push({ token: check.cardToken, restore })
    // A blocked card stays listed whatever its balance: only unblocking takes it off (cards.ts).
    else if (denied && !balance.lessThan(restore) && row.status !== 'blocked') toRemove.push(check.cardToken)
  }
  if (toAdd.length === 0 && toRemove.length === 0) return update
  // Versions must become visible in order: see DENY_LIST_LOCK.
  await lockDenyListVersions(trx)
  if (toAdd.length > 0) {
    toAdd.sort((a, b) => (a.token < b.token ? -1 : 1))
    const changes = await trx
      .insertInto('deny_list_changes')
      .values(toAdd.map(({ token }) => ({ card_token: token, action: 'add' as const, reason })))
      .returning(['version', 'card_token'])
      .execute()
    const versionOf = new Map(changes.map((c) => [c.card_token, c.version]))
    await trx
      .insertInto('deny_list')
      .values(toAdd.map(({ token, restore }) => ({ card_token: token, version: versionOf.get(token) as string, restore_balance: restore.toFixed(2) })))
      .onConflict((oc) => oc.column('card_token').doNothing())
      .execute()
    update.added.push(...toAdd.map((a) => a.token))
  }
  if (toRemove.length > 0) {
    toRemove.sort()
    const deleted = await trx.deleteFrom('deny_list').where('card_token', 'in', toRemove).returning('card_token').execute()
    const gone = new Set(deleted.map((d) => d.card_token))
    const removed = toRemove.filter((t) => gone.has(t))
    if (removed.length > 0)
      await trx
        .insertInto('deny_list_changes')
        .values(removed.map((token) => ({ card_token: token, action: 'remove' as const, reason })))
        .execute()
    update.removed.push(...toRemove)
  }
  return update
}

/** Takes one card off the list (a no-op when it is not on it); true when it was on it. */
export async function removeFromDenyList(trx: Executor, cardToken: string, reason: string): Promise<boolean> {
  const deleted = await trx.deleteFrom('deny_list').where('card_token', '=', cardToken).returning('card_token').execute()
  if (deleted.length === 0) return false
  // Versions must become visible in order: see DENY_LIST_LOCK.
  await lockDenyListVersions(trx)
  await trx.insertInto('deny_list_changes').values({ card_token: cardToken, action: 'remove', reason }).execute()
  return true
}

/**
 * Puts one card on the list (a no-op when it is already on it), to come off
 * when its balance reaches `restoreBalance` (and, if blocked, once unblocked).
 */
export async function addToDenyList(trx: Executor, cardToken: string, reason: string, restoreBalance: Decimal): Promise<boolean> {
  // Versions must become visible in order: see DENY_LIST_LOCK. Taken before the look, so a ledger
  // batch cannot list the card between the look and the insert (rare admin calls hold it briefly).
  await lockDenyListVersions(trx)
  if (await isDenied(trx, cardToken)) return false
  const change = await trx
    .insertInto('deny_list_changes')
    .values({ card_token: cardToken, action: 'add', reason })
    .returning('version')
    .executeTakeFirstOrThrow()
  await trx
    .insertInto('deny_list')
    .values({ card_token: cardToken, version: change.version, restore_balance: restoreBalance.toFixed(2) })
    .execute()
  return true
}

/**
 * After money arrived on an account (a top-up, a refund): removes its card
 * from the deny list if the balance now reaches the card's restore balance.
 * Needs no tariff: the threshold was stored when the card was added. A
 * blocked card stays on the list.
 */
export async function restoreIfCovered(trx: Executor, accountId: string, reason = 'top_up'): Promise<boolean> {
  const found = await trx
    .selectFrom('cards as c')
    .innerJoin('accounts as a', 'a.id', 'c.account_id')
    .innerJoin('deny_list as d', 'd.card_token', 'c.card_token')
    .select(['c.card_token', 'a.balance', 'd.restore_balance'])
    .where('c.account_id', '=', accountId)
    .where('c.status', '=', 'active')
    .executeTakeFirst()
  if (!found) return false
  if (moneyFromDb(found.balance).lessThan(moneyFromDb(found.restore_balance))) return false
  await removeFromDenyList(trx, found.card_token, reason)
  return true
}

export async function isDenied(db: Executor, cardToken: string): Promise<boolean> {
  return (await db.selectFrom('deny_list').select('card_token').where('card_token', '=', cardToken).executeTakeFirst()) !== undefined
}
