/**
 * GTFS text files through a real CSV parser. Published feeds carry byte-order
 * marks, CRLF line ends, quoted fields, stray spaces and tabs around values,
 * and rows shorter than their header; all of those read the obvious way.
 */
import { parse } from 'csv-parse/sync'
import { feedInvalid } from '../errors.ts'

export interface CsvRow {
  /** Line of the row in its file (the header is line 1). */
  readonly line: number
  readonly values: Readonly<Record<string, string>>
  /** Fields beyond the header, which are ignored. */
  readonly extraFields: number
}

export interface CsvTable {
  readonly file: string
  readonly header: readonly string[]
  readonly rows: readonly CsvRow[]
}

interface ParsedRecord {
  readonly record: string[]
  readonly info: { readonly lines: number }
}

export function parseCsv(file: string, text: string): CsvTable {
  let records: ParsedRecord[]
  try {
    records = parse(text, {
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
    }) as unknown as ParsedRecord[]
  } catch (error) {
    const line = typeof (error as { lines?: unknown }).lines === 'number' ? (error as { lines: number }).lines : 1
    throw feedInvalid(file, line, '*', `not valid CSV (${(error as Error).message})`)
  }
  const first = records[0]
  if (!first) return { file, header: [], rows: [] }
  const header = first.record.map((name) => name.replace(/^\uFEFF/, '').trim())
  const rows: CsvRow[] = []
  for (let i = 1; i < records.length; i++) {
    const { record, info } = records[i] as ParsedRecord
    if (record.every((value) => value === '')) continue
    const values: Record<string, string> = {}
    for (let c = 0; c < header.length; c++) values[header[c] as string] = record[c] ?? ''
    rows.push({ line: info.lines, values, extraFields: Math.max(0, record.length - header.length) })
  }
  return { file, header, rows }
}

/** The trimmed value of a field; missing fields and short rows read as ''. */
export function field(row: CsvRow, name: string): string {
  return row.values[name] ?? ''
}
