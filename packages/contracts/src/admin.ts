/**
 * The strings an administrator's request carries (docs/administration.md):
 * amounts, currencies, reasons, dates, account ids and idempotency keys, each
 * bounded and patterned so nothing unchecked reaches Postgres. An amount's
 * schema only admits a plain decimal; whether it is positive and has no more
 * decimals than its currency's minor unit is checked where the account's
 * currency is known (@fare/bookkeeping).
 */
import { Type } from 'typebox'

/** A plain decimal: digits, at most one point, no sign, no exponent ("50", "18.50"). */
export const AMOUNT_PATTERN = '^[0-9]{1,15}(\\.[0-9]{1,8})?$'
export const AmountText = Type.String({
  minLength: 1,
  maxLength: 24,
  pattern: AMOUNT_PATTERN,
  description: 'a decimal string such as "50.00": no sign, no exponent, at most the currency\'s minor-unit decimals',
})

/** ISO 4217 letters. */
export const CurrencyCode = Type.String({ minLength: 3, maxLength: 3, pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, such as UAH' })

/** Free text written by a person: any characters but control characters. */
export const TEXT_PATTERN = '^[^\\u0000-\\u001F\\u007F-\\u009F]+$'
export const REASON_MAX_LENGTH = 500
export const ReasonText = Type.String({
  minLength: 1,
  maxLength: REASON_MAX_LENGTH,
  pattern: TEXT_PATTERN,
  description: `why, for the audit record: 1 to ${REASON_MAX_LENGTH} characters, none a control character`,
})

/** A calendar date, YYYY-MM-DD (that the day exists is checked where it is used). */
export const CALENDAR_DATE_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
export const CalendarDate = Type.String({ minLength: 10, maxLength: 10, pattern: CALENDAR_DATE_PATTERN, description: 'YYYY-MM-DD' })

/** Accounts are numbered by a Postgres bigserial. */
export const AccountId = Type.String({ minLength: 1, maxLength: 19, pattern: '^[1-9][0-9]{0,18}$', description: 'the account number, as a decimal string' })

/** An Idempotency-Key header: printable ASCII without spaces (a UUID fits). */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7E]+$'
export const IDEMPOTENCY_KEY_MAX_LENGTH = 128
export const IdempotencyKey = Type.String({
  minLength: 1,
  maxLength: IDEMPOTENCY_KEY_MAX_LENGTH,
  pattern: IDEMPOTENCY_KEY_PATTERN,
  description: '1 to 128 printable ASCII characters, no spaces; a UUID is a good key',
})
