/**
 * Rate limits keyed by caller: the verified token's subject, or, without a
 * valid token, the client address. The limiter runs before the route
 * authenticates, so a flood of bad tokens is limited by address like
 * anonymous calls, while a real device or user spends only its own budget
 * (buses share NAT addresses).
 */
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { RateLimited } from './errors.ts'
import type { AccessClaims } from './tokens.ts'

/** Whose budget a request spends. A valid token is verified again by its route, from fast-jwt's cache. */
export async function rateLimitKey(request: FastifyRequest): Promise<string> {
  if (request.headers.authorization !== undefined) {
    try {
      const claims = await request.jwtVerify<AccessClaims>()
      return `sub:${claims.sub}`
    } catch {
      // not a valid token: counted by address
    }
  }
  return `ip:${request.ip}`
}

/**
 * Limits every route registered on `app` after this call (and in its child
 * plugins) to `perMinute` requests per caller; over it, 429 RATE_LIMITED with
 * Retry-After. Needs accessTokens registered on an ancestor. Per process.
 */
export async function limitPerCaller(app: FastifyInstance, perMinute: number): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => new RateLimited(context.max, context.after),
  })
  // An instance hook runs before every route's own onRequest hooks (where routes authenticate).
  app.addHook('onRequest', app.rateLimit({ max: perMinute, timeWindow: 60_000, keyGenerator: rateLimitKey }))
}
