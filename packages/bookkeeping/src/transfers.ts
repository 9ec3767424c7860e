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
 * Inserts transfers (one INSERT) and moves the cached balances by the net of
 * each account, locking the touched accounts in id order so two writers never
 * deadlock. A hot account (an operator's revenue) is therefore locked once per
 * call, not once per transfer: callers post a whole batch at once.
 * Must run inside a Postgres transaction.
 *
 * The rows go in first and the accounts are locked after, so the hot account
 * is held only from the balance update to the caller's commit, not while
 * thousands of rows are written: concurrent batches write their transfers in
 * parallel. The transfers' foreign keys take KEY SHARE locks on the accounts,
 * which do not conflict with the FOR NO KEY UPDATE taken for the balances, so
 * inserting before locking cannot deadlock either.
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
  for (let from = 0; from < transfers.length; from += INSERT_CHUNK) await insertTransfers(trx, transfers.slice(from, from + INSERT_CHUNK))
  // Lock in id order, with FOR NO KEY UPDATE (what the balance UPDATE needs; it does not wait on
  // the KEY SHARE locks of other writers' foreign keys), then move the balances. Once per call,
  // however many rows: two callers locking overlapping sets chunk by chunk could deadlock.
  const accountIds = [...net.keys()].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0))
  await sql`select id from accounts where id = any(${accountIds}::bigint[]) order by id for no key update`.execute(trx)
  const deltas = accountIds.map((id) => (net.get(id) ?? new Decimal(0)).toFixed())
  await sql`
    update accounts set balance = accounts.balance + d.delta
    from unnest(${accountIds}::bigint[], ${deltas}::numeric[]) as d(id, delta)
    where accounts.id = d.id`.execute(trx)
}

const INSERT_CHUNK = 10_000

async function insertTransfers(trx: Executor, transfers: readonly TransferToPost[]): Promise<void> {
  // One JSON document of rows (arrays by position) instead of 11 parameters per row: a
  // many-thousand-row VALUES list is slow for Postgres to parse and plan, and one JSON.stringify
  // is cheaper in Node than escaping column arrays. An absent explanation is simply left off the
  // row, so `r -> 10` is SQL NULL (a JSON null there would be stored as jsonb 'null').
  const rows = new Array<unknown[]>(transfers.length)
  for (let i = 0; i < transfers.length; i++) {
    const t = transfers[i] as TransferToPost
    const row: unknown[] = [t.id ?? null, t.debitAccountId, t.creditAccountId, t.amount.toFixed(), t.currency, t.kind, t.tapId ?? null, t.journeyId ?? null, t.reason ?? null, t.idempotencyKey ?? null]
    if (t.explanation !== undefined) row.push(t.explanation)
    rows[i] = row
  }
  await sql`
    insert into transfers (id, debit_account_id, credit_account_id, amount, currency, kind, tap_id, journey_id, reason, idempotency_key, explanation)
    select coalesce((r ->> 0)::uuid, gen_random_uuid()), (r ->> 1)::bigint, (r ->> 2)::bigint, (r ->> 3)::numeric, r ->> 4, r ->> 5,
           (r ->> 6)::uuid, r ->> 7, r ->> 8, r ->> 9, r -> 10
    from jsonb_array_elements(${JSON.stringify(rows)}::jsonb) with ordinality as x(r, n)
    order by x.n`.execute(trx)
}
