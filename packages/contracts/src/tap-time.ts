/**
 * Tap times: RFC 3339 date-times, read strictly and written in one canonical
 * form, so that ingest, the ledger, Postgres and the fare engine read the same
 * instant from the same text (docs/validators.md, "Tap fields").
 *
 * Read: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of 1 to 9 digits, then `Z`
 * or an offset `+HH:MM` / `-HH:MM` of at most 14:00 (the widest in use; an
 * offset like +16:00 is a broken clock, and Postgres refuses it). `T` and `Z`
 * may be lower case, as RFC 3339 allows. The date must exist (no 30 February),
 * the year is 0001 to 9999 (Postgres has no year 0), and a second is 00 to 59
 * (a leap second is refused: neither JavaScript nor the fare engine reads one).
 *
 * Written: `T` and `Z` upper case, exactly 3 fraction digits (finer digits cut
 * off, never rounded, as the fare engine reads them; missing ones are zeros),
 * the offset as sent.
 *
 * A record on the `taps` topic is read the same way, except that its fraction
 * may be longer: ingest wrote up to 40 characters before this contract
 * existed, and such a tap, once accepted, is cut to milliseconds and settled
 * rather than dead-lettered.
 */
const YEAR = '(?!0000)(\\d{4})'
const DATE = `${YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])`
const TIME = '([01]\\d|2[0-3]):([0-5]\\d):([0-5]\\d)'
const OFFSET = '([Zz]|[+-](?:(?:0\\d|1[0-3]):[0-5]\\d|14:00))'
const pattern = (fractionDigits: string): string => `^${DATE}[Tt]${TIME}(?:\\.(\\d${fractionDigits}))?${OFFSET}$`

/** The shape of an uploaded tap time (everything but the length of the month), for the schema. */
export const TAP_TIME_PATTERN = pattern('{1,9}')
/** The longest uploaded tap time: 9 fraction digits and an offset. */
export const TAP_TIME_MAX_LENGTH = 35

/** The shape of a tap time in a record (any number of fraction digits). */
export const RECORDED_TAP_TIME_PATTERN = pattern('+')
/** The longest tap time ingest ever wrote into a record. */
export const RECORDED_TAP_TIME_MAX_LENGTH = 40

const UPLOADED = new RegExp(TAP_TIME_PATTERN)
const RECORDED = new RegExp(RECORDED_TAP_TIME_PATTERN)

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/** The canonical form of a tap time (as uploaded, or as a record carries it), or undefined when the text is not one. */
export function canonicalTapTime(text: string, as: 'uploaded' | 'recorded' = 'uploaded'): string | undefined {
  if (as === 'recorded' && text.length > RECORDED_TAP_TIME_MAX_LENGTH) return undefined
  const m = (as === 'uploaded' ? UPLOADED : RECORDED).exec(text)
  if (!m) return undefined
  const [, year, month, day, hour, minute, second, fraction = '', zone] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string | undefined,
    string,
  ]
  if (Number(day) > daysInMonth(Number(year), Number(month))) return undefined
  const millis = `${fraction}000`.slice(0, 3)
  return `${year}-${month}-${day}T${hour}:${minute}:${second}.${millis}${zone === 'z' ? 'Z' : zone}`
}
