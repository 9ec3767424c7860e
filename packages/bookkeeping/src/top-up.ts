import { Decimal } from '@fare/money'
import { moneyFromDb } from '@fare/db'
import type { Db } from '@fare/db'
import { systemAccountId } from './accounts.ts'
import { postTransfers } from './transfers.ts'
import { restoreIfCovered } from './deny-list.ts'

export class IdempotencyConflictError extends Error {
  readonly code = 'IDEMPOTENCY_CONFLICT'
  constructor(key: string) {
    super(`idempotency key ${JSON.stringify(key)} was already used with a different request`)
  }
}

export interface TopUpResult {
  transferId: string
  accountId: string
  amount: Decimal
  currency: string
  /** True when this key was seen before and the first answer is returned again. */
  replayed: boolean
}

/**
 * Credits a rider account from top-up clearing, once per idempotency key: the
 * same key and request answer the first result; the same key with another
 * account or amount is a conflict, never an overwrite.
 */
export async function topUp(db: Db, request: { accountId: string; amount: Decimal; idempotencyKey: string }): Promise<TopUpResult> {
  if (!request.amount.isPositive() || request.amount.isZero()) throw new RangeError('top-up amount must be > 0')
  return db.transaction().execute(async (trx) => {
    // Serialize requests with the same key so two concurrent retries cannot both post.
    await trx.selectNoFrom((eb) => eb.fn('pg_advisory_xact_lock', [eb.fn('hashtext', [eb.val(`top-up:${request.idempotencyKey}`)])]).as('l')).execute()
    const existing = await trx
      .selectFrom('transfers')
      .select(['id', 'credit_account_id', 'amount', 'currency'])
      .where('idempotency_key', '=', request.idempotencyKey)
      .executeTakeFirst()
    if (existing) {
      const amount = moneyFromDb(existing.amount)
      if (existing.credit_account_id !== request.accountId || !amount.equals(request.amount)) {
        throw new IdempotencyConflictError(request.idempotencyKey)
      }
      return { transferId: existing.id, accountId: existing.credit_account_id, amount, currency: existing.currency.trim(), replayed: true }
    }
    const account = await trx.selectFrom('accounts').select(['id', 'currency', 'kind']).where('id', '=', request.accountId).executeTakeFirst()
    if (!account || account.kind !== 'rider') throw new RangeError(`no rider account ${request.accountId}`)
    const currency = account.currency.trim()
    const clearing = await systemAccountId(trx, 'top_up_clearing', currency)
    const transferId = crypto.randomUUID()
    await postTransfers(trx, [
      { id: transferId, debitAccountId: clearing, creditAccountId: account.id, amount: request.amount, currency, kind: 'top_up', idempotencyKey: request.idempotencyKey },
    ])
    // A top-up that restores a denied card takes it off the deny list in the same transaction.
    await restoreIfCovered(trx, account.id)
    return { transferId, accountId: account.id, amount: request.amount, currency, replayed: false }
  })
}
