/**
 * CSV as RFC 4180 writes it (CRLF line ends; a field with a comma, quote, CR
 * or LF quoted, quotes doubled), safe to open in a spreadsheet: a text field
 * that starts like a formula (=, +, -, @, tab, CR) gets a leading apostrophe,
 * so a route id or description can never run as one. Plain decimal numbers
 * ("-18.00") are left as they are: a spreadsheet reads them as numbers.
 */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/
const FORMULA_START = /^[=+\-@\t\r]/

/** A field that needs neither a guard nor quotes: one test, as most fields of a large export are plain. */
const NEEDS_CARE = /^[=+\-@\t\r]|[",\r\n]/

function field(value: string): string {
  if (!NEEDS_CARE.test(value)) return value
  const safe = !PLAIN_NUMBER.test(value) && FORMULA_START.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}

/** One record with its CRLF. */
export function csvLine(fields: readonly string[]): string {
  return `${fields.map(field).join(',')}\r\n`
}

export function toCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map(csvLine).join('')
}
