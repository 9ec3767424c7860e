/**
 * Access tokens the backend issues and verifies. Algorithms, issuer and
 * audience are pinned: a token signed any other way (alg none, HS256 with the
 * public key as secret, another issuer) is refused.
 */
import { createSigner, createVerifier } from 'fast-jwt'

export const TOKEN_ALGORITHM = 'ES256'
export const DEFAULT_ISSUER = 'fare-auth'
export const AUDIENCE = { ingest: 'fare-ingest', api: 'fare-api' } as const

export type Scope = 'taps:write' | 'denylist:read' | 'tariff:read' | 'balance:read'

/** What a validator's access token may do. */
export const DEVICE_SCOPES: readonly Scope[] = ['taps:write', 'denylist:read', 'tariff:read']
export type Role = 'device' | 'operator' | 'admin' | 'rider'

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

export function hasScope(claims: Pick<AccessClaims, 'scope'>, scope: Scope): boolean {
  return (claims.scope ?? '').split(' ').includes(scope)
}

/** For tests and tools: verify a token the way a service would. */
export function verifyAccessToken(token: string, publicKeyPem: string, audience: string, issuer = DEFAULT_ISSUER): AccessClaims {
  const verify = createVerifier({ key: publicKeyPem, ...verifyOptions(audience, issuer) })
  return verify(token) as AccessClaims
}
