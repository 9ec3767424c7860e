/**
 * Ingest over HTTPS with a certificate made at test time, and mutual TLS: a
 * validator without a client certificate signed by the configured CA does not
 * even get to send a request. Loopback only.
 */

import { newTapId } from '@fare/contracts'
import { buildApp } from '@fare/ingest'
import { createMetricsRegistry } from '@fare/platform'
import t from 'tap'
import { HttpClient } from '../../infra/validator/http.ts'
import { createTestPki } from '../support/tls.ts'
import { OPERATOR, startEdgeStack, tapAt } from './support.ts'

const pki = createTestPki()
t.teardown(() => pki.remove())
const stack = await startEdgeStack('tls')
t.teardown(() => stack.close())
const token = stack.issuer.deviceToken('val-tls-1', OPERATOR)
const body = () => JSON.stringify({ taps: [tapAt(newTapId(), 'ct_tls_card_0001')] })

async function serve(requireClientCert: boolean) {
  const app = await buildApp(
    { logger: stack.topics.logger, sink: stack.sink, registry: createMetricsRegistry('ingest'), jwtPublicKeyPem: stack.issuer.publicKeyPem },
    { bodyLimitBytes: 65536, tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert, requireClientCert } },
  )
  const address = await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, url: address }
}

t.test('HTTPS with a server certificate', async (t) => {
  const { app, url } = await serve(false)
  t.teardown(() => app.close())
  t.match(url, /^https:\/\/127\.0\.0\.1:/)
  const client = new HttpClient({ ca: pki.caCert })
  t.teardown(() => client.close())
  const res = await client.request(`${url}/v1/taps`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: body() })
  t.equal(res.status, 200)
  t.match(JSON.parse(res.body), { results: [{ status: 'accepted' }] })
  const untrusting = new HttpClient({})
  t.teardown(() => untrusting.close())
  await t.rejects(untrusting.request(`${url}/healthz`), 'a client that does not trust the CA refuses the server')
  await t.rejects(new HttpClient({}).request(`${url.replace('https:', 'http:')}/healthz`), 'no plain HTTP on the TLS port')
})

t.test('mutual TLS: a client certificate from the CA is required', async (t) => {
  const { app, url } = await serve(true)
  t.teardown(() => app.close())
  const withCert = new HttpClient({ ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey })
  const without = new HttpClient({ ca: pki.caCert })
  t.teardown(() => {
    withCert.close()
    without.close()
  })
  const ok = await withCert.request(`${url}/v1/taps`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: body() })
  t.equal(ok.status, 200)
  await t.rejects(
    without.request(`${url}/v1/taps`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: body() }),
    'no client certificate: handshake refused',
  )
})
