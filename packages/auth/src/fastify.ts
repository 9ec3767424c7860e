/**
 * @fastify/jwt registered with pinned verification, and a pre-handler that
 * answers 401 TOKEN_INVALID / 403 SCOPE_DENIED with stable codes.
 */
import fastifyJwt from '@fastify/jwt'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import { hasScope, verifyOptions, type AccessClaims, type Scope } from './tokens.ts'

declare module '@fastify/jwt' {
  interface FastifyJWT {
    user: AccessClaims
  }
}

export interface AccessTokenOptions {
  publicKeyPem: string
  audience: string
  issuer?: string
  /** Seconds of clock skew forgiven on exp (default 5). */
  clockToleranceSeconds?: number
}

export const accessTokens = fp(async (app: FastifyInstance, options: AccessTokenOptions) => {
  await app.register(fastifyJwt, {
    // Trimmed: a key file with stray whitespace must still be read as the public key it is.
    secret: { public: options.publicKeyPem.trim() },
    verify: verifyOptions(options.audience, options.issuer, options.clockToleranceSeconds),
  })
})

/** Why a bearer token was refused: `details.reason` of a 401 TOKEN_INVALID. */
export type TokenFailure = 'missing' | 'expired' | 'invalid'

export function tokenFailure(err: unknown): TokenFailure {
  const code = String((err as { code?: unknown })?.code ?? '')
  if (code.includes('EXPIRED')) return 'expired'
  if (code.includes('NO_AUTHORIZATION')) return 'missing'
  return 'invalid'
}

function deny(reply: FastifyReply, status: 401 | 403, code: string, message: string, reason?: string): FastifyReply {
  if (status === 401) reply.header('www-authenticate', 'Bearer error="invalid_token"')
  return reply.status(status).send({ error: { code, message, ...(reason ? { details: { reason } } : {}) } })
}

/** Verifies the bearer token; with `scope`, also requires that scope. */
export function authenticate(scope?: Scope): preHandlerAsyncHookHandler {
  return async function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
    try {
      await request.jwtVerify()
    } catch (err) {
      const reason = tokenFailure(err)
      const message = reason === 'expired' ? 'token expired' : reason === 'missing' ? 'bearer token required' : 'token invalid'
      return deny(reply, 401, 'TOKEN_INVALID', message, reason)
    }
    if (scope && !hasScope(request.user, scope)) return deny(reply, 403, 'SCOPE_DENIED', `scope ${scope} required`)
  }
}
