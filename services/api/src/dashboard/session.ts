/**
 * The dashboard's session: the operator's access token itself, kept in an
 * HttpOnly, SameSite=Strict cookie that only /dashboard receives. Every page
 * verifies it as the api verifies a bearer token (same key, issuer, audience
 * and claim checks), so a session is exactly as good as its token, and ends
 * when the token expires. Nothing is stored on the server.
 */
import { type AccessClaims, accessClaimsProblem, ScopeDenied, TokenInvalid, tokenFailure } from '@fare/auth'
import { withDetails } from '@fare/platform'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

export const SESSION_COOKIE = 'fare_dashboard'
const COOKIE_PATH = '/dashboard'

/** The session cookie's value, or undefined without one. */
export function sessionToken(request: FastifyRequest): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=')
    if (at > 0 && part.slice(0, at).trim() === SESSION_COOKIE) return part.slice(at + 1).trim() || undefined
  }
  return undefined
}

/**
 * The claims of a token fit for the dashboard: valid for this api (else 401
 * TOKEN_INVALID with `details.reason`, as on every bearer route), and an
 * operator's or an admin's (else 403 SCOPE_DENIED).
 */
export function dashboardUser(app: FastifyInstance, token: string | undefined): AccessClaims & { exp: number } {
  if (token === undefined) throw withDetails(new TokenInvalid('sign in with an operator token'), { reason: 'missing' })
  let claims: unknown
  try {
    claims = app.jwt.verify(token)
  } catch (err) {
    const reason = tokenFailure(err)
    throw withDetails(new TokenInvalid(reason === 'expired' ? 'the token has expired: sign in again' : 'the token is not valid'), { reason })
  }
  // @fastify/jwt's `trusted` check runs on request.jwtVerify() only: the same claim check, here.
  if (accessClaimsProblem(claims) !== undefined) throw withDetails(new TokenInvalid('token claims are not valid'), { reason: 'claims' })
  const user = claims as AccessClaims & { exp: number }
  if (user.role !== 'operator' && user.role !== 'admin') throw new ScopeDenied('the dashboard is for operator and admin tokens')
  return user
}

function cookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  // Secure over HTTPS; a plain-HTTP local stack (http://127.0.0.1) still gets its cookie.
  const secure = request.protocol === 'https' ? '; Secure' : ''
  return `${SESSION_COOKIE}=${value}; Path=${COOKIE_PATH}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`
}

/** Keeps the token until it expires (`exp`, seconds): the browser forgets it when it is no use. */
export function startSession(request: FastifyRequest, reply: FastifyReply, token: string, user: { exp: number }): void {
  // The system clock, as fast-jwt checks `exp` against it (not the api's injectable business clock).
  reply.header('set-cookie', cookie(request, token, Math.max(0, user.exp - Math.floor(Date.now() / 1000))))
}

export function endSession(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('set-cookie', cookie(request, '', 0))
}
