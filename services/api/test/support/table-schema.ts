/**
 * Checks a CSV against a Frictionless table schema, as far as our TIDES
 * tables use it: the header names the schema's fields in its order; each
 * value parses as its field's type (Table Schema's default formats);
 * `required`, `unique` (and the primary key), `enum`, `minimum` and `maximum`
 * hold. A value in `missingValues` is null. Returns every problem found, so a
 * failing test says all that is wrong at once; [] means valid.
 */
import type { FieldType, TableField, TableSchema } from '../../src/exports/tides/schemas.ts'

/** RFC 4180 records: quoted fields may hold commas, quotes (doubled) and line breaks; CRLF or LF ends a record. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = []
  let record: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"' && field === '') quoted = true
    else if (c === ',') {
      record.push(field)
      field = ''
    } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      if (c === '\r') i++
      record.push(field)
      records.push(record)
      record = []
      field = ''
    } else field += c
  }
  if (quoted) throw new Error('CSV ends inside a quoted field')
  if (field !== '' || record.length > 0) records.push([...record, field])
  return records
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const TIME = /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/
const DATETIME_UTC = /^(\d{4}-\d{2}-\d{2})T(([01]\d|2[0-3]):[0-5]\d:[0-5]\d)Z$/
const INTEGER = /^[+-]?\d+$/
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/
const DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/
const TRUE_VALUES = new Set(['true', 'True', 'TRUE', '1'])
const FALSE_VALUES = new Set(['false', 'False', 'FALSE', '0'])

function isCalendarDate(text: string): boolean {
  const match = DATE.exec(text)
  if (!match) return false
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

/** Whether `value` is a valid `type`, in Table Schema's default format. */
export function parsesAs(type: FieldType, value: string): boolean {
  switch (type) {
    case 'string':
      return true
    case 'integer':
      return INTEGER.test(value)
    case 'number':
      return NUMBER.test(value) || ['NaN', 'INF', '-INF'].includes(value)
    case 'boolean':
      return TRUE_VALUES.has(value) || FALSE_VALUES.has(value)
    case 'date':
      return isCalendarDate(value)
    case 'time':
      return TIME.test(value)
    case 'datetime': {
      const match = DATETIME_UTC.exec(value)
      return match !== null && isCalendarDate(match[1] ?? '')
    }
    case 'duration':
      return DURATION.test(value)
    default: {
      const unknown: never = type
      throw new Error(`unknown field type ${String(unknown)}`)
    }
  }
}

function valueProblem(field: TableField, value: string): string | undefined {
  if (!parsesAs(field.type, value)) return `${JSON.stringify(value)} is not a valid ${field.type}`
  const { constraints } = field
  if (constraints?.enum && !constraints.enum.includes(value)) return `${JSON.stringify(value)} is not one of the allowed values`
  if (field.type === 'integer' || field.type === 'number') {
    const n = Number(value)
    if (constraints?.minimum !== undefined && n < constraints.minimum) return `${value} is below the minimum ${constraints.minimum}`
    if (constraints?.maximum !== undefined && n > constraints.maximum) return `${value} is above the maximum ${constraints.maximum}`
  }
  return undefined
}

export function validateCsv(schema: TableSchema, csv: string): string[] {
  const problems: string[] = []
  const [header, ...rows] = parseCsv(csv)
  const names = schema.fields.map((f) => f.name)
  if (!header || header.join(',') !== names.join(',')) {
    return [`the header is ${JSON.stringify(header ?? [])}, not the schema's fields in order ${JSON.stringify(names)}`]
  }
  const missing = new Set(schema.missingValues)
  const seen = new Map<string, Map<string, number>>()
  rows.forEach((row, index) => {
    const line = index + 2
    if (row.length !== names.length) {
      problems.push(`line ${line}: ${row.length} values, the header has ${names.length}`)
      return
    }
    schema.fields.forEach((field, column) => {
      const value = row[column] ?? ''
      const key = field.name === schema.primaryKey
      if (missing.has(value)) {
        if (field.constraints?.required || key) problems.push(`line ${line}, ${field.name}: required, but empty`)
        return
      }
      const problem = valueProblem(field, value)
      if (problem) problems.push(`line ${line}, ${field.name}: ${problem}`)
      if (field.constraints?.unique || key) {
        const values = seen.get(field.name) ?? new Map<string, number>()
        const first = values.get(value)
        if (first !== undefined) problems.push(`line ${line}, ${field.name}: ${JSON.stringify(value)} again (first on line ${first})`)
        else values.set(value, line)
        seen.set(field.name, values)
      }
    })
  })
  return problems
}
