/**
 * Certificates made at test time with the machine's openssl: a throwaway CA,
 * a server certificate for 127.0.0.1/localhost, and a client certificate for
 * mutual TLS. Nothing is checked in; every run makes its own.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

export interface TestPki {
  dir: string
  caCert: string
  serverCert: string
  serverKey: string
  clientCert: string
  clientKey: string
  files: { caCert: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string }
  remove(): void
}

export function createTestPki(): TestPki {
  const dir = mkdtempSync(path.join(tmpdir(), 'fare-pki-'))
  const f = (name: string) => path.join(dir, name)
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
  openssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=fare-test-ca')
  const issue = (name: string, subject: string, ext: string) => {
    writeFileSync(f(`${name}.ext`), ext)
    openssl('req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', subject)
    openssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${name}.pem`),
      '-days',
      '2',
      '-extfile',
      f(`${name}.ext`),
    )
  }
  issue('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  issue('client', '/CN=val-tls-1', 'extendedKeyUsage=clientAuth\n')
  const files = { caCert: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key') }
  return {
    dir,
    files,
    caCert: readFileSync(files.caCert, 'utf8'),
    serverCert: readFileSync(files.serverCert, 'utf8'),
    serverKey: readFileSync(files.serverKey, 'utf8'),
    clientCert: readFileSync(files.clientCert, 'utf8'),
    clientKey: readFileSync(files.clientKey, 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
