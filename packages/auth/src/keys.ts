import { createPublicKey } from 'node:crypto'
import { readFileSync } from 'node:fs'

/** Reads a PEM key file and checks it parses, so a bad key fails at start with the file named. */
export function readPemKey(path: string, kind: 'public' | 'private'): string {
  let pem: string
  try {
    pem = readFileSync(path, 'utf8')
  } catch (err) {
    throw new Error(`cannot read ${kind} key ${path}: ${(err as Error).message}`)
  }
  try {
    createPublicKey(pem) // also accepts a private key, deriving its public half
  } catch {
    throw new Error(`${path} is not a PEM ${kind} key`)
  }
  return pem
}
