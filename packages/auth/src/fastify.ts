/**
 * @fastify/jwt registered with pinned verification and a check of the claims'
 * shape, and hooks that answer 401 TOKEN_INVALID / 403 SCOPE_DENIED with
 * stable codes. Routes authenticate in onRequest, before the body is read.
 */

import { withDetails } from '@fare/platform'
import fastifyJwt from '@fastify/jwt'
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { ScopeDenied, TokenInvalid } from './errors.ts'
import { type AccessClaims, accessClaimsProblem, hasScope, type Role, type Scope, verifyOptions } from './tokens.ts'

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
    // Checked on every verification, so no route ever sees claims of a shape we do not issue.
    trusted: (_request: FastifyRequest, claims: unknown) => accessClaimsProblem(claims) === undefined,
  })
})

/** Why a bearer token was refused: `details.reason` of a 401 TOKEN_INVALID. */
export type TokenFailure = 'missing' | 'expired' | 'invalid' | 'claims'

export function tokenFailure(err: unknown): TokenFailure {
  const code = String((err as { code?: unknown })?.code ?? '')
  if (code.includes('EXPIRED')) return 'expired'
  if (code.includes('NO_AUTHORIZATION')) return 'missing'
  if (code.includes('UNTRUSTED')) return 'claims'
  return 'invalid'
}

const TOKEN_MESSAGES: Record<TokenFailure, string> = {
  expired: 'token expired',
  missing: 'bearer token required',
  claims: 'token claims are not valid',
  invalid: 'token invalid',
}

/** Verifies the bearer token; with `scope`, also requires that scope (which only a device token can hold). */
export function authenticate(scope?: Scope): preHandlerAsyncHookHandler {
  return async function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
    try {
      await request.jwtVerify()
    } catch (err) {
      const reason = tokenFailure(err)
      reply.header('www-authenticate', 'Bearer error="invalid_token"')
      throw withDetails(new TokenInvalid(TOKEN_MESSAGES[reason]), { reason })
    }
    if (scope && !hasScope(request.user, scope)) throw new ScopeDenied(`scope ${scope} required`)
  }
}

/** After authenticate(): only these roles pass, every other role (present or future) is 403. */
export function requireRole(...roles: readonly Role[]): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest) => {
    if (!roles.includes(request.user.role)) throw new ScopeDenied(`role ${roles.join(' or ')} required`)
  }
}
