/**
 * Development keys: an ES256 issuer key pair kept in .cache/dev-keys, made on
 * first use. Production passes real key files through the environment.
 */

import { generateKeyPairSync } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export interface KeyPairFiles {
  privateKeyFile: string
  publicKeyFile: string
}

export function ensureDevKeyPair(directory: string, name = 'issuer'): KeyPairFiles {
  const privateKeyFile = path.join(directory, `${name}.key.pem`)
  const publicKeyFile = path.join(directory, `${name}.pub.pem`)
  if (!existsSync(privateKeyFile) || !existsSync(publicKeyFile)) {
    mkdirSync(directory, { recursive: true })
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    writeFileSync(privateKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })
    writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }))
  }
  return { privateKeyFile, publicKeyFile }
}

export function readKeyPair(files: KeyPairFiles): { privateKeyPem: string; publicKeyPem: string } {
  return { privateKeyPem: readFileSync(files.privateKeyFile, 'utf8'), publicKeyPem: readFileSync(files.publicKeyFile, 'utf8') }
}
