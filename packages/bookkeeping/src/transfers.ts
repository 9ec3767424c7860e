import { sql } from 'kysely'
import { Decimal } from '@fare/money'
import type { TransferKind } from '@fare/db'
import type { Executor } from './accounts.ts'

export interface TransferToPost {
  readonly id?: string
  readonly debitAccountId: string
  readonly creditAccountId: string
  readonly amount: Decimal
  readonly currency: string
  readonly kind: TransferKind
  readonly tapId?: string
  readonly journeyId?: string
  readonly reason?: string
  readonly explanation?: unknown
  readonly idempotencyKey?: string
}

/**
 * Inserts transfers (one multi-row INSERT) and moves the cached balances by
 * the net of each account, locking the touched accounts in id order so two
 * writers never deadlock. A hot account (an operator's revenue) is therefore
 * locked once per call, not once per transfer: callers post a whole batch at once.
 * Must run inside a Postgres transaction.
 */
export async function postTransfers(trx: Executor, transfers: readonly TransferToPost[]): Promise<void> {
  if (transfers.length === 0) return
  const net = new Map<string, Decimal>()
  for (const t of transfers) {
    if (!t.amount.isPositive() || t.amount.isZero()) throw new RangeError(`transfer amount must be > 0, got ${t.amount.toString()}`)
    if (t.debitAccountId === t.creditAccountId) throw new RangeError('a transfer needs two different accounts')
    net.set(t.debitAccountId, (net.get(t.debitAccountId) ?? new Decimal(0)).minus(t.amount))
    net.set(t.creditAccountId, (net.get(t.creditAccountId) ?? new Decimal(0)).plus(t.amount))
  }
  // Lock first, in id order, with FOR NO KEY UPDATE: the transfers' foreign keys take KEY SHARE
  // locks on the same rows, which FOR UPDATE would wait on (two writers would then deadlock).
  const ids = [...net.keys()].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0))
  await trx.selectFrom('accounts').select('id').where('id', 'in', ids).orderBy('id').forNoKeyUpdate().execute()
  await trx
    .insertInto('transfers')
    .values(
      transfers.map((t) => ({
        ...(t.id ? { id: t.id } : {}),
        debit_account_id: t.debitAccountId,
        credit_account_id: t.creditAccountId,
        amount: t.amount.toFixed(),
        currency: t.currency,
        kind: t.kind,
        tap_id: t.tapId ?? null,
        journey_id: t.journeyId ?? null,
        reason: t.reason ?? null,
        explanation: t.explanation === undefined ? null : JSON.stringify(t.explanation),
        idempotency_key: t.idempotencyKey ?? null,
      })),
    )
    .execute()
  const deltas = ids.map((id) => sql`(${id}::bigint, ${(net.get(id) ?? new Decimal(0)).toFixed()}::numeric)`)
  await sql`
    update accounts set balance = accounts.balance + d.delta
    from (values ${sql.join(deltas)}) as d(id, delta)
    where accounts.id = d.id`.execute(trx)
}
