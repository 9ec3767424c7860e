/**
 * Access tokens the backend issues and verifies. Algorithms, issuer and
 * audience are pinned: a token signed any other way (alg none, HS256 with the
 * public key as secret, another issuer) is refused.
 */

import { isIdentifier } from '@fare/contracts'
import { createSigner, createVerifier } from 'fast-jwt'

export const TOKEN_ALGORITHM = 'ES256'
export const DEFAULT_ISSUER = 'fare-auth'
export const AUDIENCE = { ingest: 'fare-ingest', api: 'fare-api' } as const

export const SCOPES = ['taps:write', 'denylist:read', 'tariff:read', 'balance:read'] as const
export type Scope = (typeof SCOPES)[number]

/** What a validator's access token may do. */
export const DEVICE_SCOPES: readonly Scope[] = ['taps:write', 'denylist:read', 'tariff:read']
export const ROLES = ['device', 'operator', 'admin', 'rider'] as const
export type Role = (typeof ROLES)[number]

export interface AccessClaims {
  sub: string
  role: Role
  /** Devices and operator users belong to one operator. */
  operator_id?: string
  /** Space-separated, as in OAuth 2. */
  scope?: string
}

export interface SignOptions {
  privateKeyPem: string
  issuer?: string
  audience: string | string[]
  expiresInSeconds: number
  /** Unix seconds; the clock is an argument so tests can make expired tokens. */
  nowSeconds?: number
}

export function signAccessToken(claims: AccessClaims, options: SignOptions): string {
  const sign = createSigner({
    key: options.privateKeyPem,
    algorithm: TOKEN_ALGORITHM,
    iss: options.issuer ?? DEFAULT_ISSUER,
    aud: options.audience,
    expiresIn: options.expiresInSeconds * 1000,
    ...(options.nowSeconds === undefined ? {} : { clockTimestamp: options.nowSeconds * 1000 }),
  })
  return sign({ ...claims })
}

/** The verify options every service passes to @fastify/jwt. */
export function verifyOptions(audience: string, issuer = DEFAULT_ISSUER, clockToleranceSeconds = 5) {
  return {
    algorithms: [TOKEN_ALGORITHM] as ['ES256'],
    allowedIss: issuer,
    allowedAud: audience,
    requiredClaims: ['sub', 'iss', 'aud', 'exp', 'role'],
    clockTolerance: clockToleranceSeconds * 1000, // milliseconds, as fast-jwt counts
    // A validator sends the same token for minutes: verified tokens are cached (until their exp)
    // so the ECDSA check runs once per token, not once per request.
    cache: 10_000,
  }
}

/** A subject is an id (a device id, a user id): bounded, and nothing Postgres or a log would choke on. */
const SUBJECT_MAX_LENGTH = 128
const SCOPE_LIST = new RegExp(`^(${SCOPES.join('|')})( (${SCOPES.join('|')}))*$`)

/**
 * Why verified claims are not a shape this backend issues, or undefined when
 * they are. A signature proves who signed, not that the claims make sense: a
 * token with an unknown role, a role that is not a string, or a scope we never
 * grant is refused as a whole, so no authorization decision ever sees it.
 */
export function accessClaimsProblem(claims: unknown): string | undefined {
  if (typeof claims !== 'object' || claims === null) return 'claims are not an object'
  const { sub, role, operator_id: operatorId, scope } = claims as Record<string, unknown>
  if (!isIdentifier(sub, SUBJECT_MAX_LENGTH)) return 'sub must be an id'
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) return `role must be one of ${ROLES.join(', ')}`
  if (operatorId !== undefined && !isIdentifier(operatorId)) return 'operator_id must be an id'
  if ((role === 'device' || role === 'operator') && operatorId === undefined) return `a ${role} token names its operator_id`
  if (scope !== undefined && (typeof scope !== 'string' || !SCOPE_LIST.test(scope)))
    return `scope must be known scopes (${SCOPES.join(', ')}) separated by spaces`
  return undefined
}

/** Scopes are what a device may do; a token of any other role has none, whatever it carries. */
export function hasScope(claims: Pick<AccessClaims, 'role' | 'scope'>, scope: Scope): boolean {
  return claims.role === 'device' && (claims.scope ?? '').split(' ').includes(scope)
}

/** For tests and tools: verify a token the way a service would. */
export function verifyAccessToken(token: string, publicKeyPem: string, audience: string, issuer = DEFAULT_ISSUER): AccessClaims {
  const verify = createVerifier({ key: publicKeyPem, ...verifyOptions(audience, issuer) })
  const claims: unknown = verify(token)
  const problem = accessClaimsProblem(claims)
  if (problem) throw new Error(`token claims refused: ${problem}`)
  return claims as AccessClaims
}
