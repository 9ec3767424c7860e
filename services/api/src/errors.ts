/**
 * The api's error catalogue: each code it answers with its HTTP status and
 * message template, in one place, as Fastify's own lib/errors.js. Thrown, they
 * are answered by @fare/platform's errorHandling. Token and scope codes are
 * @fare/auth's; codes of the HTTP layer itself are @fare/platform's.
 */
import createError from '@fastify/error'

/** Also answered for a card the caller may not see, so card tokens cannot be probed. */
export const CardNotFound = createError('CARD_NOT_FOUND', 'no such card', 404)
/** Argument: why the public key cannot be used. */
export const KeyInvalid = createError('KEY_INVALID', '%s', 400)
/** Argument: the operator id. */
export const OperatorNotFound = createError('OPERATOR_NOT_FOUND', 'no operator %s', 404)
/** Argument: the device id. */
export const DeviceExists = createError('DEVICE_EXISTS', 'device %s is already registered', 409)
export const DeviceNotFound = createError('DEVICE_NOT_FOUND', 'no such device', 404)
/** At the token endpoint, beside @fare/auth's TOKEN_INVALID: the device is registered but revoked. */
export const DeviceRevoked = createError('DEVICE_REVOKED', 'this device has been revoked', 401)
/** A trips `cursor` this api did not hand out (or one altered on the way). */
export const CursorInvalid = createError('CURSOR_INVALID', 'cursor is not one this api handed out', 400)
/** Argument: what is wrong with `from` and `to`. */
export const DateRangeInvalid = createError('DATE_RANGE_INVALID', '%s', 400)
/** Argument: the media types offered. */
export const NotAcceptable = createError('NOT_ACCEPTABLE', 'this resource is available as %s', 406)
