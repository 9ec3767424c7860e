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

export const accessTokens = fp(async (app: FastifyInstance, options: { publicKeyPem: string; audience: string; issuer?: string }) => {
  await app.register(fastifyJwt, {
    secret: { public: options.publicKeyPem },
    verify: verifyOptions(options.audience, options.issuer),
  })
})

function deny(reply: FastifyReply, status: 401 | 403, code: string, message: string): FastifyReply {
  return reply.status(status).send({ error: { code, message } })
}

/** Verifies the bearer token; with `scope`, also requires that scope. */
export function authenticate(scope?: Scope): preHandlerAsyncHookHandler {
  return async function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
    try {
      await request.jwtVerify()
    } catch (err) {
      const code = (err as { code?: string }).code ?? ''
      const reason = code.includes('EXPIRED') ? 'token expired' : code.includes('NO_AUTHORIZATION') ? 'bearer token required' : 'token invalid'
      return deny(reply, 401, 'TOKEN_INVALID', reason)
    }
    if (scope && !hasScope(request.user, scope)) return deny(reply, 403, 'SCOPE_DENIED', `scope ${scope} required`)
  }
}
