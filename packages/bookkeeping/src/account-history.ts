/**
 * An account's money as its owner reads it, straight from the transfers (the
 * ledger's only record of money, docs/architecture.md "Money"): each transfer
 * signed from the account's side (+ credited to it, - taken from it), the
 * balance at an instant as the sum of everything posted before it, and the
 * transfers of given taps. A statement computed from these reconciles with
 * the ledger by construction.
 */

import { arrayLiteral, moneyFromDb, type TransferKind } from '@fare/db'
import type { Decimal } from '@fare/money'
import { sql } from 'kysely'
import type { Executor } from './accounts.ts'

export interface AccountEntry {
  readonly transferId: string
  /** When the ledger posted it (the transaction's time). */
  readonly postedAt: Date
  readonly kind: TransferKind
  readonly reason: string | null
  /** Signed from the account's side: positive credited to it, negative taken from it. */
  readonly amount: Decimal
  readonly currency: string
  readonly tapId: string | null
  readonly journeyId: string | null
  /** What the writer stored with it (the ledger: the engine's explanation of a fare). */
  readonly explanation: unknown
}

interface EntryRow {
  id: string
  created_at: Date
  kind: TransferKind
  reason: string | null
  signed: string
  currency: string
  tap_id: string | null
  journey_id: string | null
  explanation: unknown
}

function entry(row: EntryRow): AccountEntry {
  return {
    transferId: row.id,
    postedAt: new Date(row.created_at),
    kind: row.kind,
    reason: row.reason,
    amount: moneyFromDb(row.signed),
    currency: row.currency.trim(),
    tapId: row.tap_id,
    journeyId: row.journey_id,
    explanation: row.explanation,
  }
}

const ENTRY_COLUMNS = (accountId: string) => sql`
  t.id::text as id, t.created_at, t.kind, t.reason, t.currency, t.tap_id::text as tap_id, t.journey_id, t.explanation,
  (case when t.credit_account_id = ${accountId}::bigint then t.amount else -t.amount end)::text as signed`

/** The account's balance from its transfers posted before `before` (not the cached balance). */
export async function balanceBefore(db: Executor, accountId: string, before: Date): Promise<Decimal> {
  const row = await sql<{ balance: string }>`
    select coalesce(sum(case when credit_account_id = ${accountId}::bigint then amount else -amount end), 0)::text as balance
    from transfers
    where (credit_account_id = ${accountId}::bigint or debit_account_id = ${accountId}::bigint)
      and created_at < ${before.toISOString()}::timestamptz`.execute(db)
  return moneyFromDb(row.rows[0]?.balance ?? '0')
}

/** The account's transfers posted in [from, to), oldest first. */
export async function entriesBetween(db: Executor, accountId: string, from: Date, to: Date): Promise<AccountEntry[]> {
  const rows = await sql<EntryRow>`
    select ${ENTRY_COLUMNS(accountId)} from transfers t
    where (t.credit_account_id = ${accountId}::bigint or t.debit_account_id = ${accountId}::bigint)
      and t.created_at >= ${from.toISOString()}::timestamptz and t.created_at < ${to.toISOString()}::timestamptz
    order by t.created_at, t.id`.execute(db)
  return rows.rows.map(entry)
}

/** The account's transfers for these taps (fares and their adjustments), oldest first. */
export async function entriesOfTaps(db: Executor, accountId: string, tapIds: readonly string[]): Promise<AccountEntry[]> {
  if (tapIds.length === 0) return []
  const rows = await sql<EntryRow>`
    select ${ENTRY_COLUMNS(accountId)} from transfers t
    where t.tap_id = any(${arrayLiteral(tapIds)}::uuid[])
      and (t.credit_account_id = ${accountId}::bigint or t.debit_account_id = ${accountId}::bigint)
    order by t.created_at, t.id`.execute(db)
  return rows.rows.map(entry)
}
