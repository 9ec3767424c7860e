import { type RawBuilder, sql } from 'kysely'

/**
 * A Postgres array literal for a query parameter cast to an array type
 * (`${arrayLiteral(ids)}::uuid[]`). node-pg builds the same literal from a JS
 * array, but by appending element after element, which for the ledger's
 * batches (a dozen arrays of thousands of elements each) allocated more memory
 * than anything else it did. Here, in the usual case (no null, no quote or
 * backslash in any element), it is one join.
 */
export function arrayLiteral(values: readonly (string | null)[]): string {
  let plain = true
  for (const v of values) {
    if (v === null || v.includes('"') || v.includes('\\')) {
      plain = false
      break
    }
  }
  if (values.length === 0) return '{}'
  if (plain) return `{"${values.join('","')}"}`
  const parts = new Array<string>(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as string | null
    parts[i] = v === null ? 'NULL' : `"${v.replace(/[\\"]/g, '\\$&')}"`
  }
  return `{${parts.join(',')}}`
}

/**
 * The right side of `column = any(array)` in a Kysely query
 * (`.where('tap_id', '=', anyOf(ids, 'uuid'))`): all values as one array
 * parameter, not one parameter per value (a ledger batch has thousands).
 * Raw sql because Kysely has no typed array cast; the element type is typed
 * as the column's.
 */
export function anyOf<T extends string>(values: readonly T[], type: 'uuid' | 'text' | 'bigint'): RawBuilder<T> {
  return sql<T>`any(${arrayLiteral(values)}::${sql.raw(type)}[])`
}
