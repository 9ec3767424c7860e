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
  // Columns as arrays (unnest): a handful of parameters instead of 11 per row, which Postgres
  // parses and plans much faster than a many-thousand-row VALUES list. The explanations travel as
  // one JSON array ({"e": ...} per row, {} for none, so an absent explanation stays SQL NULL).
  for (let from = 0; from < transfers.length; from += INSERT_CHUNK) await insertTransfers(trx, transfers.slice(from, from + INSERT_CHUNK))
  // Lock in id order, with FOR NO KEY UPDATE (what the balance UPDATE needs; it does not wait on
  // the KEY SHARE locks of other writers' foreign keys), then move the balances. Once per call,
  // however many rows: two callers locking overlapping sets chunk by chunk could deadlock.
  const accountIds = [...net.keys()].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0))
  await trx.selectFrom('accounts').select('id').where('id', 'in', accountIds).orderBy('id').forNoKeyUpdate().execute()
  const deltas = accountIds.map((id) => sql`(${id}::bigint, ${(net.get(id) ?? new Decimal(0)).toFixed()}::numeric)`)
  await sql`
    update accounts set balance = accounts.balance + d.delta
    from (values ${sql.join(deltas)}) as d(id, delta)
    where accounts.id = d.id`.execute(trx)
}

const INSERT_CHUNK = 10_000

async function insertTransfers(trx: Executor, transfers: readonly TransferToPost[]): Promise<void> {
  const n = transfers.length
  const ids = new Array<string | null>(n)
  const debit = new Array<string>(n)
  const credit = new Array<string>(n)
  const amount = new Array<string>(n)
  const currency = new Array<string>(n)
  const kind = new Array<string>(n)
  const tapId = new Array<string | null>(n)
  const journeyId = new Array<string | null>(n)
  const reason = new Array<string | null>(n)
  const idempotencyKey = new Array<string | null>(n)
  const explanations = new Array<{ e?: unknown }>(n)
  for (let i = 0; i < n; i++) {
    const t = transfers[i] as TransferToPost
    ids[i] = t.id ?? null
    debit[i] = t.debitAccountId
    credit[i] = t.creditAccountId
    amount[i] = t.amount.toFixed()
    currency[i] = t.currency
    kind[i] = t.kind
    tapId[i] = t.tapId ?? null
    journeyId[i] = t.journeyId ?? null
    reason[i] = t.reason ?? null
    idempotencyKey[i] = t.idempotencyKey ?? null
    explanations[i] = t.explanation === undefined ? {} : { e: t.explanation }
  }
  await sql`
    insert into transfers (id, debit_account_id, credit_account_id, amount, currency, kind, tap_id, journey_id, reason, explanation, idempotency_key)
    select coalesce(u.id, gen_random_uuid()), u.debit, u.credit, u.amount, u.currency, u.kind, u.tap_id, u.journey_id, u.reason, x.value -> 'e', u.idempotency_key
    from unnest(${ids}::uuid[], ${debit}::bigint[], ${credit}::bigint[], ${amount}::numeric[], ${currency}::text[], ${kind}::text[],
                ${tapId}::uuid[], ${journeyId}::text[], ${reason}::text[], ${idempotencyKey}::text[])
           with ordinality as u(id, debit, credit, amount, currency, kind, tap_id, journey_id, reason, idempotency_key, n)
    join jsonb_array_elements(${JSON.stringify(explanations)}::jsonb) with ordinality as x(value, n) on x.n = u.n
    order by u.n`.execute(trx)
}
