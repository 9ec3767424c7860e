import { anyOf, arrayLiteral, type TransferKind } from '@fare/db'
import { type Decimal, ZERO } from '@fare/money'
import { sql } from 'kysely'
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
 * each account, locking the touched accounts in one global order (riders', then
 * the shared ones, each by id) so two writers never deadlock. A hot account (an
 * operator's revenue) is therefore locked once per
 * call, not once per transfer: callers post a whole batch at once.
 * Must run inside a Postgres transaction.
 *
 * The rows go in first and the accounts are locked after, so the hot account
 * is held only from the balance update to the caller's commit, not while
 * thousands of rows are written: concurrent batches write their transfers in
 * parallel. Inserting takes no lock on the accounts (their existence is
 * checked once per statement, and accounts are never deleted), so inserting
 * before locking cannot deadlock either.
 */
export async function postTransfers(trx: Executor, transfers: readonly TransferToPost[]): Promise<void> {
  if (transfers.length === 0) return
  const net = new Map<string, Decimal>()
  for (const t of transfers) {
    if (!t.amount.isPositive() || t.amount.isZero()) throw new RangeError(`transfer amount must be > 0, got ${t.amount.toString()}`)
    if (t.debitAccountId === t.creditAccountId) throw new RangeError('a transfer needs two different accounts')
    net.set(t.debitAccountId, (net.get(t.debitAccountId) ?? ZERO).minus(t.amount))
    net.set(t.creditAccountId, (net.get(t.creditAccountId) ?? ZERO).plus(t.amount))
  }
  for (let from = 0; from < transfers.length; from += INSERT_CHUNK) await insertTransfers(trx, transfers.slice(from, from + INSERT_CHUNK))
  // Lock with FOR NO KEY UPDATE (what the balance UPDATE needs) and move the balances, once per
  // call however many rows, in one global order so two writers never deadlock: riders' accounts
  // first, then the shared ones (operator revenue, concession, clearing), each in id order. The
  // shared accounts, which every concurrent batch needs, are thus locked last and held only for
  // their own few rows until the caller commits, not while thousands of riders' balances move.
  const accountIds = [...net.keys()]
    .map(BigInt)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map(String)
  const deltas = accountIds.map((id) => (net.get(id) ?? ZERO).toFixed())
  const ids = arrayLiteral(accountIds)
  const amounts = arrayLiteral(deltas)
  for (const riders of [true, false]) {
    await trx
      .selectFrom('accounts')
      .select('id')
      .where('id', '=', anyOf(accountIds, 'bigint'))
      .where('kind', riders ? '=' : '<>', 'rider')
      .orderBy('id')
      .forNoKeyUpdate()
      .execute()
    // Raw sql: Kysely cannot type an UPDATE ... FROM unnest() (the balances move by one array of deltas).
    await sql`
      update accounts set balance = accounts.balance + d.delta
      from unnest(${ids}::bigint[], ${amounts}::numeric[]) as d(id, delta)
      where accounts.id = d.id and (accounts.kind = 'rider') = ${riders}`.execute(trx)
  }
}

const INSERT_CHUNK = 10_000

async function insertTransfers(trx: Executor, transfers: readonly TransferToPost[]): Promise<void> {
  // Columns as arrays (unnest), and the explanations, which are most of the bytes, as one text of
  // JSON documents joined by newlines: JSON.stringify never writes a raw newline, so the split is
  // exact, the text goes over the wire unescaped, and Postgres parses each document on its own
  // (parsing one document of all rows costs it several times more). A row without an explanation
  // is an empty line, stored as NULL.
  const n = transfers.length
  const ids = new Array<string | null>(n)
  const debits = new Array<string>(n)
  const credits = new Array<string>(n)
  const amounts = new Array<string>(n)
  const currencies = new Array<string>(n)
  const kinds = new Array<string>(n)
  const tapIds = new Array<string | null>(n)
  const journeyIds = new Array<string | null>(n)
  const reasons = new Array<string | null>(n)
  const keys = new Array<string | null>(n)
  const explanations = new Array<string>(n)
  for (let i = 0; i < n; i++) {
    const t = transfers[i] as TransferToPost
    ids[i] = t.id ?? null
    debits[i] = t.debitAccountId
    credits[i] = t.creditAccountId
    amounts[i] = t.amount.toFixed()
    currencies[i] = t.currency
    kinds[i] = t.kind
    tapIds[i] = t.tapId ?? null
    journeyIds[i] = t.journeyId ?? null
    reasons[i] = t.reason ?? null
    keys[i] = t.idempotencyKey ?? null
    explanations[i] = t.explanation === undefined ? '' : JSON.stringify(t.explanation)
  }
  // Raw sql: Kysely cannot type an INSERT from unnest() and string_to_array(); the columns are TransfersTable's.
  await sql`
    insert into transfers (id, debit_account_id, credit_account_id, amount, currency, kind, tap_id, journey_id, reason, idempotency_key, explanation)
    select coalesce(r.id, gen_random_uuid()), r.debit, r.credit, r.amount, r.currency, r.kind, r.tap_id, r.journey_id, r.reason, r.key,
           nullif(r.explanation, '')::json
    from unnest(${arrayLiteral(ids)}::uuid[], ${arrayLiteral(debits)}::bigint[], ${arrayLiteral(credits)}::bigint[], ${arrayLiteral(amounts)}::numeric[],
                ${arrayLiteral(currencies)}::text[], ${arrayLiteral(kinds)}::text[],
                ${arrayLiteral(tapIds)}::uuid[], ${arrayLiteral(journeyIds)}::text[], ${arrayLiteral(reasons)}::text[], ${arrayLiteral(keys)}::text[],
                string_to_array(${explanations.join('\n')}::text, E'\n'))
         with ordinality as r(id, debit, credit, amount, currency, kind, tap_id, journey_id, reason, key, explanation, n)
    order by r.n`.execute(trx)
}
