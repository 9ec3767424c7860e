/**
 * The codes this package answers for every service that authenticates with
 * it: each with its HTTP status and message template, in one place, as
 * Fastify's own lib/errors.js. Thrown, they are answered by @fare/platform's
 * errorHandling.
 */
import createError from '@fastify/error'

/** 401: the bearer token (or, at the token endpoint, the device's assertion) is refused; `details.reason` says why. */
export const TokenInvalid = createError('TOKEN_INVALID', '%s', 401)
/** 403: the caller is known but may not do this; the message names what it lacks. */
export const ScopeDenied = createError('SCOPE_DENIED', '%s', 403)
/** 429: arguments are the limit per minute and how long until the next request is allowed. */
export const RateLimited = createError('RATE_LIMITED', 'rate limit of %s requests per minute exceeded; retry in %s', 429)
