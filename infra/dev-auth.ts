/**
 * Development tokens, signed with the local issuer key in .cache/dev-keys (the
 * services verify with its public half). Production tokens come from the
 * identity provider and the device-token endpoint instead.
 */
import path from 'node:path'
import { type AccessClaims, AUDIENCE, accessClaimsProblem, ensureDevKeyPair, readKeyPair, signAccessToken, signDeviceAssertion } from '@fare/auth'
import { REPO_ROOT } from './repo-root.ts'

export const DEV_KEYS_DIR = path.join(REPO_ROOT, '.cache', 'dev-keys')

export function devKeys() {
  const files = ensureDevKeyPair(DEV_KEYS_DIR)
  return { ...files, ...readKeyPair(files) }
}

/** Any token the local stack accepts; claims the services would refuse (an unknown scope, a bad id) throw instead. */
export function mintDevToken(claims: AccessClaims, audience: string, expiresInSeconds = 600): string {
  const problem = accessClaimsProblem(claims)
  if (problem) throw new Error(`the services would refuse this token: ${problem}`)
  return signAccessToken(claims, { privateKeyPem: devKeys().privateKeyPem, audience, expiresInSeconds })
}

export function devDeviceToken(deviceId: string, operatorId: string): string {
  return mintDevToken({ sub: deviceId, role: 'device', operator_id: operatorId, scope: 'taps:write denylist:read tariff:read' }, AUDIENCE.ingest)
}

export function devAdminToken(): string {
  return mintDevToken({ sub: 'dev-admin', role: 'admin' }, AUDIENCE.api)
}

/** A demo validator's own key pair (P-256), made on first use beside the issuer key. */
export function devDeviceKeys(deviceId: string) {
  const files = ensureDevKeyPair(DEV_KEYS_DIR, deviceId)
  return { ...files, ...readKeyPair(files) }
}

/** An access token the way a validator gets one: an assertion signed with its key, traded at the api. */
export async function fetchDeviceToken(apiUrl: string, deviceId: string): Promise<string> {
  const assertion = signDeviceAssertion({ privateKeyPem: devDeviceKeys(deviceId).privateKeyPem, deviceId })
  const res = await fetch(`${apiUrl}/v1/auth/device-token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ deviceId, assertion }),
  })
  const body = (await res.json()) as { accessToken?: string; error?: { code: string; message: string } }
  if (!res.ok || !body.accessToken) throw new Error(`device token for ${deviceId}: ${res.status} ${body.error?.code ?? ''} ${body.error?.message ?? ''}`)
  return body.accessToken
}
