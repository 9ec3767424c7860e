/**
 * The error catalogue of the HTTP layer every service shares (http.ts): each
 * code with its HTTP status and message, in one place, as Fastify's own
 * lib/errors.js. A service's own codes are in its `src/errors.ts`; tokens' and
 * scopes' codes are in @fare/auth. Whatever is thrown, errorHandling answers
 * `{"error": {"code", "message", "details"?}}` with the error's status.
 */
import createError from '@fastify/error'

/** The message says what is wrong (a field, the JSON, the URL). */
export const RequestInvalid = createError('REQUEST_INVALID', '%s', 400)
export const BodyTooLarge = createError('BODY_TOO_LARGE', 'request body is too large', 413)
export const UnsupportedMediaType = createError('UNSUPPORTED_MEDIA_TYPE', 'send application/json', 415)
/** Argument: the longest path parameter allowed. */
export const UriTooLong = createError('URI_TOO_LONG', 'a path parameter is longer than %s characters', 414)
export const RequestTimeout = createError('REQUEST_TIMEOUT', 'the request did not arrive in time', 408)
export const HeadersTooLarge = createError('HEADERS_TOO_LARGE', 'the request headers are too large', 431)
export const RequestNotHttp = createError('REQUEST_INVALID', 'the request is not valid HTTP', 400)
/** Arguments: the method and the path. */
export const RouteNotFound = createError('NOT_FOUND', 'no route %s %s', 404)
/** What a client is told of any failure of ours; the cause goes to the log only. */
export const Internal = createError('INTERNAL', 'internal error', 500)

/** An error whose answer carries `details` (for example `{ reason }`), beside its code and message. */
export function withDetails<E extends Error>(error: E, details: unknown): E & { details: unknown } {
  return Object.assign(error, { details })
}
