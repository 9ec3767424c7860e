/**
 * Device identity. A validator holds a private key (ES256 on P-256, or EdDSA on
 * Ed25519) whose public half is registered; it proves who it is by signing a
 * short assertion that the api trades for an access token.
 *
 * The algorithm a device may use follows from its registered key's type, never
 * from the token header: a header saying `none` or `HS256` (the classic
 * "public key as HMAC secret" forgery) is refused before any signature check.
 */
import { createPrivateKey, createPublicKey, type KeyObject, randomUUID } from 'node:crypto'
import { createSigner, createVerifier } from 'fast-jwt'

export type DeviceKeyAlgorithm = 'ES256' | 'EdDSA'

/** Audience a device assertion must name (the token endpoint's own name). */
export const DEVICE_ASSERTION_AUDIENCE = 'fare-device-token'
/** An assertion may live at most this long (docs/validators.md section 2: at most 5 minutes). */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300
/** Validators' clocks drift; this much is forgiven on iat/exp. */
export const ASSERTION_CLOCK_TOLERANCE_SECONDS = 60

export class DeviceKeyError extends Error {
  override name = 'DeviceKeyError'
}

/** The algorithm a key implies; anything but a P-256 EC key or an Ed25519 key is refused. */
export function keyAlgorithm(key: KeyObject): DeviceKeyAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA'
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256'
  const curve = key.asymmetricKeyDetails?.namedCurve ? ` (${key.asymmetricKeyDetails.namedCurve})` : ''
  throw new DeviceKeyError(`unsupported device key type ${key.asymmetricKeyType ?? 'unknown'}${curve}; use an EC P-256 or Ed25519 key`)
}

/**
 * Parses a registered device public key. It must be an SPKI PEM public key (not
 * a private key, not a certificate, not a bare secret) of a supported type; the
 * answer is the key re-exported in canonical form, so stray whitespace or
 * another encoding never reaches a verifier.
 */
export function parseDevicePublicKey(pem: string): { publicKeyPem: string; algorithm: DeviceKeyAlgorithm } {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN PUBLIC KEY-----')) {
    throw new DeviceKeyError('publicKeyPem must be a PEM "PUBLIC KEY" (SPKI)')
  }
  let key: KeyObject
  try {
    key = createPublicKey({ key: pem.trim(), format: 'pem' })
  } catch {
    throw new DeviceKeyError('publicKeyPem does not parse as a public key')
  }
  if (key.type !== 'public') throw new DeviceKeyError('publicKeyPem must be a public key')
  const algorithm = keyAlgorithm(key)
  return { publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString(), algorithm }
}

export interface AssertionClaims {
  iss: string
  sub: string
  aud: string | string[]
  exp: number
  iat: number
  jti: string
}

export interface SignAssertionOptions {
  privateKeyPem: string
  deviceId: string
  audience?: string
  lifetimeSeconds?: number
  nowSeconds?: number
  jti?: string
}

/** Signs a device assertion (for validators, the simulator and tests). */
export function signDeviceAssertion(options: SignAssertionOptions): string {
  const key = createPrivateKey(options.privateKeyPem)
  const algorithm = keyAlgorithm(createPublicKey(key))
  const nowSeconds = options.nowSeconds ?? Math.floor(Date.now() / 1000)
  const sign = createSigner({ key: options.privateKeyPem, algorithm })
  return sign({
    iss: options.deviceId,
    sub: options.deviceId,
    aud: options.audience ?? DEVICE_ASSERTION_AUDIENCE,
    iat: nowSeconds,
    exp: nowSeconds + (options.lifetimeSeconds ?? 120),
    jti: options.jti ?? randomUUID(),
  })
}

/** Why an assertion was refused; the token endpoint reports it in `details.reason`. */
export type AssertionFailure = 'malformed' | 'algorithm' | 'signature' | 'issuer' | 'audience' | 'expired' | 'not_yet_valid' | 'lifetime' | 'claims'

export class AssertionError extends Error {
  override name = 'AssertionError'
  constructor(
    readonly reason: AssertionFailure,
    message: string,
  ) {
    super(message)
  }
}

function failureOf(code: string): AssertionFailure {
  if (code.includes('EXPIRED')) return 'expired'
  if (code.includes('INACTIVE')) return 'not_yet_valid'
  if (code.includes('INVALID_ALGORITHM')) return 'algorithm'
  if (code.includes('INVALID_SIGNATURE')) return 'signature'
  if (code.includes('INVALID_CLAIM_VALUE') || code.includes('MISSING_REQUIRED_CLAIM') || code.includes('INVALID_CLAIM_TYPE')) return 'claims'
  return 'malformed'
}

/**
 * Verifies a device assertion against the device's registered key. Pinned:
 * the algorithm (from the key), iss = sub = the device id, the audience, and a
 * lifetime of at most five minutes. Replay (the jti) is the caller's check,
 * since it needs shared state.
 */
export function verifyDeviceAssertion(
  assertion: string,
  options: { deviceId: string; publicKeyPem: string; audience?: string; nowSeconds: number },
): AssertionClaims {
  const { publicKeyPem, algorithm } = parseDevicePublicKey(options.publicKeyPem)
  const audience = options.audience ?? DEVICE_ASSERTION_AUDIENCE
  const header = decodeHeader(assertion)
  if (header.alg !== algorithm) throw new AssertionError('algorithm', `assertion must be signed with ${algorithm}`)
  const verify = createVerifier({
    key: publicKeyPem,
    algorithms: [algorithm],
    requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'],
    clockTimestamp: options.nowSeconds * 1000,
    clockTolerance: ASSERTION_CLOCK_TOLERANCE_SECONDS * 1000,
    cache: false,
  })
  let claims: AssertionClaims
  try {
    claims = verify(assertion) as AssertionClaims
  } catch (err) {
    const code = String((err as { code?: string }).code ?? '')
    throw new AssertionError(failureOf(code), 'assertion refused')
  }
  if (claims.iss !== options.deviceId || claims.sub !== options.deviceId) throw new AssertionError('issuer', 'assertion iss and sub must be the device id')
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
  if (!audiences.includes(audience)) throw new AssertionError('audience', `assertion audience must be ${audience}`)
  // The jti is stored (replay protection): printable ASCII only, so Postgres never sees a NUL byte.
  if (typeof claims.jti !== 'string' || !/^[\x21-\x7E]{8,128}$/.test(claims.jti))
    throw new AssertionError('claims', 'assertion jti must be 8 to 128 printable ASCII characters')
  if (!Number.isInteger(claims.exp) || !Number.isInteger(claims.iat) || claims.exp - claims.iat > MAX_ASSERTION_LIFETIME_SECONDS) {
    throw new AssertionError('lifetime', `assertion may live at most ${MAX_ASSERTION_LIFETIME_SECONDS} s`)
  }
  if (claims.exp > options.nowSeconds + MAX_ASSERTION_LIFETIME_SECONDS + ASSERTION_CLOCK_TOLERANCE_SECONDS) {
    throw new AssertionError('lifetime', 'assertion expires too far in the future')
  }
  return claims
}

/** Reads a JWT header without trusting it (only to refuse a mismatched alg early). */
function decodeHeader(token: string): { alg?: unknown } {
  if (typeof token !== 'string' || token.length > 8192) throw new AssertionError('malformed', 'assertion is not a JWT')
  const parts = token.split('.')
  if (parts.length !== 3 || !parts[0]) throw new AssertionError('malformed', 'assertion is not a JWT')
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'))
    if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error('not an object')
    return header as { alg?: unknown }
  } catch {
    throw new AssertionError('malformed', 'assertion header is not JSON')
  }
}

/** A fresh device key pair, PEM encoded (simulator, demo and tests). */
export { generateDeviceKeyPair } from './device-keys.ts'
