/**
 * Reading one field of a row, shared by the readers: each failure is
 * FEED_INVALID naming the file, the row's line and the field.
 */
import { type Decimal, parseAmount, ZERO } from '@fare/money'
import { checkDecimalPlaces } from '../compiled.ts'
import { feedInvalid } from '../errors.ts'
import { type CsvRow, field } from './csv.ts'

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const

/** An empty field reads as undefined. */
export const opt = (value: string): string | undefined => (value === '' ? undefined : value)

export function required(file: string, row: CsvRow, name: string): string {
  const value = field(row, name)
  if (value === '') throw feedInvalid(file, row.line, name, 'required value is empty')
  return value
}

export function integer(file: string, row: CsvRow, name: string, min: number, max: number): number | undefined {
  const text = field(row, name)
  if (text === '') return undefined
  if (!/^-?\d+$/.test(text)) throw feedInvalid(file, row.line, name, `not an integer: ${JSON.stringify(text)}`)
  const value = Number(text)
  if (value < min || value > max) throw feedInvalid(file, row.line, name, `must be between ${min} and ${max}, got ${text}`)
  return value
}

export function unique(file: string, row: CsvRow, name: string, key: string, seen: Set<string>): void {
  if (seen.has(key)) throw feedInvalid(file, row.line, name, `duplicate key ${JSON.stringify(key)}`)
  seen.add(key)
}

/** An optional id that, when given, must be one of `known`. */
export function reference(
  file: string,
  row: CsvRow,
  name: string,
  known: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  what: string,
): string | undefined {
  const value = opt(field(row, name))
  if (value !== undefined && !known.has(value)) throw feedInvalid(file, row.line, name, `unknown ${what} ${JSON.stringify(value)}`)
  return value
}

/**
 * The required `amount` field: a decimal the engine carries exactly
 * (compiled.ts). "-0" (or "-0.00") is zero: read as 0 so that no amount
 * prints as "-0.00".
 */
export function amount(file: string, row: CsvRow): Decimal {
  const text = required(file, row, 'amount')
  let value: Decimal
  try {
    value = parseAmount(text)
  } catch {
    throw feedInvalid(file, row.line, 'amount', `not a decimal amount: ${JSON.stringify(text)}`)
  }
  if (value.isZero()) value = ZERO
  checkDecimalPlaces({ file, line: row.line, amount: value })
  return value
}
