/**
 * Development tokens, signed with the local issuer key in .cache/dev-keys (the
 * services verify with its public half). Production tokens come from the
 * identity provider and the device-token endpoint instead.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { AUDIENCE, ensureDevKeyPair, readKeyPair, signAccessToken } from '@fare/auth'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const DEV_KEYS_DIR = path.join(REPO_ROOT, '.cache', 'dev-keys')

export function devKeys() {
  const files = ensureDevKeyPair(DEV_KEYS_DIR)
  return { ...files, ...readKeyPair(files) }
}

export function devDeviceToken(deviceId: string, operatorId: string): string {
  return signAccessToken(
    { sub: deviceId, role: 'device', operator_id: operatorId, scope: 'taps:write denylist:read tariff:read' },
    { privateKeyPem: devKeys().privateKeyPem, audience: AUDIENCE.ingest, expiresInSeconds: 600 },
  )
}

export function devAdminToken(): string {
  return signAccessToken({ sub: 'dev-admin', role: 'admin' }, { privateKeyPem: devKeys().privateKeyPem, audience: AUDIENCE.api, expiresInSeconds: 600 })
}
