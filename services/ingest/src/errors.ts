/** Ingest's error catalogue: stable codes and HTTP statuses (API.md). */
import createError from '@fastify/error'

export const BrokerUnavailable = createError('BROKER_UNAVAILABLE', 'the tap broker is unavailable; retry later', 503)
export const BatchTooLarge = createError('BATCH_TOO_LARGE', 'at most %s taps per request', 413)

/** Per-tap rejection codes. */
export const TAP_INVALID = 'TAP_INVALID'
export const TAP_TIME_OUT_OF_RANGE = 'TAP_TIME_OUT_OF_RANGE'
/** The tap id is earlier in the same request with different content. */
export const TAP_CONFLICT = 'TAP_CONFLICT'

/** Seconds a validator should wait before retrying when the broker is down. */
export const BROKER_RETRY_AFTER_SECONDS = 5
