/**
 * What the reconciliation and data-quality reports share: facts kept by the
 * ledger's clock (taps.recorded_at, rejected_taps.rejected_at,
 * transfers.created_at: the time of the transaction that wrote them) read
 * for the range's instants, all in one snapshot, and the report's extra
 * tables (beside `rows`) written as the JSON writes rows.
 */
import type { Database, Db } from '@fare/db'
import type { Decimal } from '@fare/money'
import { type RawBuilder, sql, type Transaction } from 'kysely'
import type { ReportContext } from './context.ts'
import type { Cell, ReportRow } from './respond.ts'

export type Snapshot = Transaction<Database>

/**
 * Runs the report's queries in one read-only REPEATABLE READ transaction:
 * every figure (balances, transfers, taps) is of the same instant, so a
 * ledger batch committing meanwhile cannot unbalance the report.
 */
export function inSnapshot<T>(db: Db, read: (trx: Snapshot) => Promise<T>): Promise<T> {
  return db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(read)
}

/** `column` within the range's instants: [fromInstant, toInstant). */
export function inRange(ctx: ReportContext, column: RawBuilder<unknown>): RawBuilder<boolean> {
  return sql<boolean>`${column} >= ${ctx.fromInstant} and ${column} < ${ctx.toInstant}`
}

/**
 * The operator a rejected record names, or null. rejected_taps has no
 * operator column: the record itself carries `operatorId`, which ingest wrote
 * from the device's token. It is read only from records that decoded as a tap
 * event (the ledger stores their tap id, and only theirs), so the value is
 * known to be JSON; a record that is not a tap event names no operator.
 */
export const REJECTED_OPERATOR = sql<string | null>`case when r.tap_id is not null then r.value::json ->> 'operatorId' end`

/** `rejected_taps r` rows the report's operator may see: all for admins, those naming the operator for an operator. */
export function rejectedInScope(ctx: ReportContext): RawBuilder<boolean> {
  return ctx.operator === undefined ? sql<boolean>`true` : sql<boolean>`${REJECTED_OPERATOR} = ${ctx.operator}`
}

/** A column `operator_id` (of `alias`) limited to the report's operator, or true for admins. */
export function operatorIs(ctx: ReportContext, column: RawBuilder<unknown>): RawBuilder<boolean> {
  return ctx.operator === undefined ? sql<boolean>`true` : sql<boolean>`${column} = ${ctx.operator}`
}

function jsonCell(cell: Cell): string | number | null {
  if (cell === null || typeof cell === 'string' || typeof cell === 'number') return cell
  return (cell as Decimal).toFixed(2)
}

/** A table beside `rows` in the JSON, written as respond.ts writes rows (money as '12.50'). */
export function jsonTable(columns: readonly string[], rows: readonly ReportRow[]): Record<string, string | number | null>[] {
  return rows.map((row) => Object.fromEntries(columns.map((c) => [c, jsonCell(row[c] ?? null)])))
}

/** An instant as ISO 8601 (UTC), or null. */
export function isoOrNull(value: Date | string | null): string | null {
  if (value === null) return null
  return (value instanceof Date ? value : new Date(value)).toISOString()
}

/** One warning the dashboard shows: a stable code and a sentence. */
export interface ReportWarning {
  readonly code: string
  readonly message: string
}
