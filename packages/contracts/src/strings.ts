/**
 * The strings the edge lets through to Postgres. Postgres refuses a NUL byte
 * in text, and control characters have no business in an id, so every id and
 * card token a request carries (path, query, body or token claim) is checked
 * against these patterns first: bad input is a 400, never a 500.
 */
import { Type } from 'typebox'

/** Ids (devices, operators, routes, stops, vehicles) and card tokens: ASCII letters, digits and `_ . : -`. */
export const IDENTIFIER_PATTERN = '^[A-Za-z0-9_.:\\-]+$'
const IDENTIFIER = new RegExp(IDENTIFIER_PATTERN)

export const ID_MAX_LENGTH = 64
export const CARD_TOKEN_MIN_LENGTH = 8
export const CARD_TOKEN_MAX_LENGTH = 128

export const Identifier = (maxLength = ID_MAX_LENGTH) => Type.String({ minLength: 1, maxLength, pattern: IDENTIFIER_PATTERN })
export const DeviceId = Identifier()
export const OperatorId = Identifier()
export const CardToken = Type.String({ minLength: CARD_TOKEN_MIN_LENGTH, maxLength: CARD_TOKEN_MAX_LENGTH, pattern: IDENTIFIER_PATTERN })

/** The same check as `Identifier(maxLength)`, for values that do not pass through a schema (token claims). */
export function isIdentifier(value: unknown, maxLength = ID_MAX_LENGTH): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= maxLength && IDENTIFIER.test(value)
}

/** Printable ASCII and line breaks: PEM text. */
export const PEM_TEXT_PATTERN = '^[\\x20-\\x7E\\r\\n\\t]+$'
/** A JWT in compact form: three base64url parts (the last may be empty, and is then refused by the verifier). */
export const COMPACT_JWT_PATTERN = '^[A-Za-z0-9_\\-]+\\.[A-Za-z0-9_\\-]+\\.[A-Za-z0-9_\\-]*$'
