/** A fresh issuer key pair per test file, and tokens signed with it. */
import { generateKeyPairSync } from 'node:crypto'
import { type AccessClaims, AUDIENCE, signAccessToken } from '@fare/auth'

export interface TestIssuer {
  publicKeyPem: string
  privateKeyPem: string
  deviceToken(deviceId: string, operatorId: string, scope?: string): string
  adminToken(): string
  riderToken(riderId: string): string
  sign(claims: AccessClaims, audience: string, expiresInSeconds?: number, nowSeconds?: number): string
}

export function createTestIssuer(): TestIssuer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
  const sign = (claims: AccessClaims, audience: string, expiresInSeconds = 300, nowSeconds?: number) =>
    signAccessToken(claims, { privateKeyPem, audience, expiresInSeconds, ...(nowSeconds === undefined ? {} : { nowSeconds }) })
  return {
    publicKeyPem,
    privateKeyPem,
    sign,
    deviceToken: (deviceId, operatorId, scope = 'taps:write') => sign({ sub: deviceId, role: 'device', operator_id: operatorId, scope }, AUDIENCE.ingest),
    adminToken: () => sign({ sub: 'admin-1', role: 'admin' }, AUDIENCE.api),
    riderToken: (riderId) => sign({ sub: riderId, role: 'rider' }, AUDIENCE.api),
  }
}
