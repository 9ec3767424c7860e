/**
 * How every report answers: JSON (`{report, from, to, timeZone, operator,
 * currency, ..., rows, totals}`), or CSV streamed row by row with a header
 * row (`Accept: text/csv` or `?format=csv`). Money is a decimal string in
 * both, never a float; the CSV holds the rows only, so it parses back into
 * exactly the JSON's rows.
 */
import { Readable } from 'node:stream'
import type { Decimal } from '@fare/money'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { wantsCsv } from '../content.ts'
import { csvLine } from '../csv.ts'
import type { ReportRange } from './range.ts'

/** A report cell: text, a count, money (Decimal, written with the currency's two decimals), or nothing. */
export type Cell = string | number | Decimal | null

export type ReportRow = Readonly<Record<string, Cell>>

export interface Report {
  /** The report's name: ridership, revenue, ... (also the CSV file's name). */
  readonly name: string
  readonly range: ReportRange
  readonly timeZone: string
  readonly operator: string | undefined
  readonly currency: string
  /** The columns, in order: the CSV header and the keys of each JSON row. */
  readonly columns: readonly string[]
  readonly rows: readonly ReportRow[]
  /** Sums over the rows (JSON only). */
  readonly totals?: ReportRow
  /** Report-specific facts beside the rows (groupBy, month, ...), JSON only. */
  readonly meta?: Readonly<Record<string, unknown>>
}

function json(cell: Cell): string | number | null {
  if (cell === null || typeof cell === 'string' || typeof cell === 'number') return cell
  return cell.toFixed(2)
}

/** A cell as CSV and the dashboard write it: money with two decimals, nothing as ''. */
export function cellText(cell: Cell): string {
  if (cell === null) return ''
  if (typeof cell === 'string') return cell
  if (typeof cell === 'number') return String(cell)
  return cell.toFixed(2)
}

function jsonRow(columns: readonly string[], row: ReportRow): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {}
  for (const column of columns) out[column] = json(row[column] ?? null)
  return out
}

function* csvLines(report: Report): Generator<string> {
  yield csvLine(report.columns)
  for (const row of report.rows) yield csvLine(report.columns.map((c) => cellText(row[c] ?? null)))
}

export function sendReport(request: FastifyRequest, reply: FastifyReply, format: 'json' | 'csv' | undefined, report: Report): FastifyReply {
  reply.header('vary', 'Accept')
  if (wantsCsv(request, format)) {
    const operator = report.operator === undefined ? '' : `-${report.operator}`
    return reply
      .type('text/csv; charset=utf-8; header=present')
      .header('content-disposition', `attachment; filename="${report.name}${operator}-${report.range.from}-${report.range.to}.csv"`)
      .send(Readable.from(csvLines(report)))
  }
  return reply.send({
    report: report.name,
    from: report.range.from,
    to: report.range.to,
    timeZone: report.timeZone,
    operator: report.operator ?? null,
    currency: report.currency,
    ...report.meta,
    rows: report.rows.map((row) => jsonRow(report.columns, row)),
    ...(report.totals ? { totals: jsonRow(Object.keys(report.totals), report.totals) } : {}),
  })
}
