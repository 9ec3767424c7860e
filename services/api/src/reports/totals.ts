/**
 * A report's totals from its grouped rows, when every figure adds up across
 * groups (counts of rides, sums of money): one pass over tap_charges instead
 * of a second query for the totals. Distinct counts (riders) do not add up;
 * a report with them totals in SQL.
 */
import { type Decimal, ZERO } from '@fare/money'
import type { ReportRow } from './respond.ts'

export function sumRows(rows: readonly ReportRow[], columns: { counts: readonly string[]; money: readonly string[] }): ReportRow {
  const totals: Record<string, number | Decimal> = {}
  for (const column of columns.counts) totals[column] = rows.reduce((sum, row) => sum + (row[column] as number), 0)
  for (const column of columns.money) totals[column] = rows.reduce((sum, row) => sum.plus(row[column] as Decimal), ZERO)
  return totals
}
