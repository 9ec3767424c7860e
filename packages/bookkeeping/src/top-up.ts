import type { Db } from '@fare/db'
import { type Decimal, parseAmount } from '@fare/money'
import { lockRiderAccount, postAccountTransfer } from './account-transfers.ts'
import { idempotently, requestHash } from './idempotency.ts'
import { Refusal } from './refusals.ts'

export interface TopUpResult {
  transferId: string
  accountId: string
  amount: Decimal
  currency: string
  /** True when this key was seen before and the first answer is returned again. */
  replayed: boolean
}

/** The key space of top-ups made by code (seeding, tests) rather than by an administrator through the api. */
const INTERNAL_CALLER = 'bookkeeping'

/**
 * Credits a rider account from top-up clearing, once per idempotency key
 * (idempotently, the one mechanism the api's money routes use too): the same
 * key and request answer the first result; the same key with another account
 * or amount is IdempotencyConflictError, never an overwrite. For code, not
 * people: no audit row (the api's top-up route records its administrator).
 */
export async function topUp(db: Db, request: { accountId: string; amount: Decimal; idempotencyKey: string }): Promise<TopUpResult> {
  if (!request.amount.isPositive() || request.amount.isZero()) throw new RangeError('top-up amount must be > 0')
  const hash = requestHash({ operation: 'top_up', accountId: request.accountId, amount: request.amount.toFixed() })
  const answer = await idempotently(db, { caller: INTERNAL_CALLER, key: request.idempotencyKey, requestHash: hash }, async (trx, transferKey) => {
    let currency: string
    try {
      currency = (await lockRiderAccount(trx, request.accountId)).currency
    } catch (err) {
      if (err instanceof Refusal) throw new RangeError(`no rider account ${request.accountId}`)
      throw err
    }
    const posted = await postAccountTransfer(trx, { kind: 'top_up', accountId: request.accountId, amount: request.amount, currency, transferKey })
    return { status: 201, body: { transferId: posted.transferId, accountId: posted.accountId, amount: posted.amount.toFixed(), currency: posted.currency } }
  })
  const { transferId, accountId, amount, currency } = answer.body
  return { transferId, accountId, amount: parseAmount(amount), currency, replayed: answer.replayed }
}
