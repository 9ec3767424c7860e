/**
 * Ingest's error catalogue: each code it answers with its HTTP status and
 * message template, in one place, as Fastify's own lib/errors.js. Thrown, they
 * are answered by @fare/platform's errorHandling. Token and scope codes
 * (TOKEN_INVALID, SCOPE_DENIED, RATE_LIMITED) are @fare/auth's; codes of the
 * HTTP layer itself (REQUEST_INVALID, UNSUPPORTED_MEDIA_TYPE...) are @fare/platform's.
 */
import createError from '@fastify/error'

export const BrokerUnavailable = createError('BROKER_UNAVAILABLE', 'the tap broker is unavailable; retry later', 503)
/** Argument: the most taps one request may carry. */
export const BatchTooLarge = createError('BATCH_TOO_LARGE', 'at most %s taps per request', 413)
/** The same code for a body over the byte limit, before its taps are counted. */
export const BatchBodyTooLarge = createError('BATCH_TOO_LARGE', 'request body is too large', 413)
export const NoTariffInForce = createError('TARIFF_NOT_FOUND', 'no tariff version is in force', 404)
export const TariffVersionNotFound = createError('TARIFF_NOT_FOUND', 'no such tariff version', 404)

/**
 * Per-tap rejection codes, answered in a 200's `results` (the request as a
 * whole succeeded), so codes without a status.
 */
export const TAP_INVALID = 'TAP_INVALID'
export const TAP_TIME_OUT_OF_RANGE = 'TAP_TIME_OUT_OF_RANGE'
/** The tap id is earlier in the same request with different content. */
export const TAP_CONFLICT = 'TAP_CONFLICT'

/** Seconds a validator should wait before retrying when the broker is down. */
export const BROKER_RETRY_AFTER_SECONDS = 5
