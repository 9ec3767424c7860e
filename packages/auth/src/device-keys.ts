import { generateKeyPairSync } from 'node:crypto'
import type { DeviceKeyAlgorithm } from './device.ts'

export function generateDeviceKeyPair(algorithm: DeviceKeyAlgorithm = 'ES256'): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = algorithm === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
}
