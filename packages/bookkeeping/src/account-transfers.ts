/**
 * Money an administrator moves on a rider's account: a top-up, a refund, a
 * manual adjustment. Each is a new transfer against a system account, never an
 * edit; the caller's transaction also holds its idempotency record and its
 * audit row. The rider's account is locked first (FOR NO KEY UPDATE, the lock
 * postTransfers takes), so the balance checked is the balance moved.
 */

import { moneyFromDb } from '@fare/db'
import { type Decimal, minorUnitDigits, parseAmount } from '@fare/money'
import { type Executor, systemAccountId } from './accounts.ts'
import { restoreIfCovered } from './deny-list.ts'
import { Refusal } from './refusals.ts'
import { postTransfers } from './transfers.ts'

/** numeric(20, 2) holds 18 integer digits; amounts stay well below. */
const MAX_AMOUNT = parseAmount('1000000000000000')

/** An amount a transfer may carry in this currency: > 0, below the maximum, no more decimals than the minor unit. */
export function checkAmount(amount: Decimal, currency: string): void {
  const digits = minorUnitDigits(currency)
  if (!amount.isFinite() || !amount.isPositive() || amount.isZero()) throw new Refusal('amount_invalid', 'the amount must be greater than zero')
  if (amount.greaterThanOrEqualTo(MAX_AMOUNT)) throw new Refusal('amount_invalid', `the amount must be below ${MAX_AMOUNT.toFixed()}`)
  if (amount.decimalPlaces() > digits) throw new Refusal('amount_invalid', `${currency} amounts have at most ${digits} decimals`)
}

export interface RiderAccount {
  readonly accountId: string
  readonly currency: string
  readonly balance: Decimal
  /** The card whose stored value it is (every rider account has one). */
  readonly cardToken: string | null
}

/** Locks a rider account for a balance change and reads it; unknown or not a rider's: account_not_found. */
export async function lockRiderAccount(trx: Executor, accountId: string): Promise<RiderAccount> {
  const row = await trx
    .selectFrom('accounts as a')
    .leftJoin('cards as c', 'c.account_id', 'a.id')
    .select(['a.id', 'a.currency', 'a.balance', 'c.card_token'])
    .where('a.id', '=', accountId)
    .where('a.kind', '=', 'rider')
    .forNoKeyUpdate('a')
    .executeTakeFirst()
  if (!row) throw new Refusal('account_not_found', `no rider account ${accountId}`)
  return { accountId: row.id, currency: row.currency.trim(), balance: moneyFromDb(row.balance), cardToken: row.card_token }
}

export type AccountTransferKind = 'top_up' | 'refund' | 'credit_adjustment' | 'debit_adjustment'

export interface AccountTransferRequest {
  readonly kind: AccountTransferKind
  readonly accountId: string
  readonly amount: Decimal
  /** Must be the account's. */
  readonly currency: string
  /** Unique across every transfer (idempotently's transferKey); a second post with it is refused by Postgres. */
  readonly transferKey?: string
}

export interface PostedAccountTransfer {
  readonly transferId: string
  readonly accountId: string
  readonly cardToken: string | null
  readonly amount: Decimal
  readonly currency: string
  /** The account's balance after the transfer. */
  readonly balance: Decimal
  /** True when the money took the card off the deny list. */
  readonly restored: boolean
}

/** Which system account is the other side, and whether the rider is credited. */
const MOVEMENTS = {
  top_up: { transferKind: 'top_up', counter: 'top_up_clearing', credit: true },
  refund: { transferKind: 'refund', counter: 'refunds', credit: false },
  credit_adjustment: { transferKind: 'manual_adjustment', counter: 'adjustments', credit: true },
  debit_adjustment: { transferKind: 'manual_adjustment', counter: 'adjustments', credit: false },
} as const

/**
 * Posts one transfer between the rider's account and the system account of its
 * kind. A refund pays back stored value, so it may not take more than the
 * balance; a debit adjustment may (a correction can leave a debt, which the
 * ledger's deny-list check meets at the card's next tap). Money arriving on a
 * denied card takes it off the list once the balance covers it.
 */
export async function postAccountTransfer(trx: Executor, request: AccountTransferRequest): Promise<PostedAccountTransfer> {
  const account = await lockRiderAccount(trx, request.accountId)
  if (request.currency !== account.currency)
    throw new Refusal('currency_mismatch', `account ${account.accountId} holds ${account.currency}, not ${request.currency}`)
  checkAmount(request.amount, account.currency)
  const movement = MOVEMENTS[request.kind]
  if (request.kind === 'refund' && account.balance.lessThan(request.amount)) {
    throw new Refusal('insufficient_balance', `a refund may pay back at most the balance, ${account.balance.toFixed(2)} ${account.currency}`)
  }
  const counter = await systemAccountId(trx, movement.counter, account.currency)
  const transferId = crypto.randomUUID()
  await postTransfers(trx, [
    {
      id: transferId,
      debitAccountId: movement.credit ? counter : account.accountId,
      creditAccountId: movement.credit ? account.accountId : counter,
      amount: request.amount,
      currency: account.currency,
      kind: movement.transferKind,
      ...(request.transferKey === undefined ? {} : { idempotencyKey: request.transferKey }),
    },
  ])
  const restored = movement.credit ? await restoreIfCovered(trx, account.accountId, request.kind) : false
  const balance = movement.credit ? account.balance.plus(request.amount) : account.balance.minus(request.amount)
  return { transferId, accountId: account.accountId, cardToken: account.cardToken, amount: request.amount, currency: account.currency, balance, restored }
}
