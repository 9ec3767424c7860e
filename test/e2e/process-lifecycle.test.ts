/**
 * The services as real processes: a bad setting stops the start with a message
 * naming the variable; SIGTERM closes the server and the pool and exits 0.
 * Each process is killed by the test's teardown if the test fails, and every
 * wait is for a condition with a deadline a loaded machine meets.
 */

import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { newTapId } from '@fare/contracts'
import { createTestDatabase } from '@fare/db/testing'
import t from 'tap'
import { createTestTopics } from '../support/kafka.ts'
import { createTestIssuer } from '../support/keys.ts'
import { listeningUrl, START_TIMEOUT_MS, startService } from '../support/process.ts'
import { waitFor } from '../support/stack.ts'

const keyDir = mkdtempSync(path.join(tmpdir(), 'fare-keys-'))
const issuer = createTestIssuer()
const publicKeyFile = path.join(keyDir, 'issuer.pub.pem')
const privateKeyFile = path.join(keyDir, 'issuer.key.pem')
writeFileSync(publicKeyFile, issuer.publicKeyPem)
writeFileSync(privateKeyFile, issuer.privateKeyPem, { mode: 0o600 })
// Nothing from the working tree's .cache: a fresh clone has no dev keys.
const keys = { JWT_PUBLIC_KEY_FILE: publicKeyFile, JWT_PRIVATE_KEY_FILE: privateKeyFile }

t.test('a bad variable is named and the process exits non-zero', async (t) => {
  const api = startService(t, 'api', { API_PORT: 'eighty', ...keys })
  const { code } = await api.exited
  t.not(code, 0)
  t.match(api.stderr.join(''), /API_PORT must be an integer/)
})

t.test('api: SIGTERM closes and exits 0', async (t) => {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  const api = startService(t, 'api', { API_PORT: '0', DATABASE_URL: database.url, ...keys })
  const url = listeningUrl(await api.waitForLog((l) => /listening at/.test(String(l.msg))))
  t.equal((await fetch(`${url}/readyz`)).status, 200)
  api.child.kill('SIGTERM')
  const { code } = await api.exited
  t.equal(code, 0, 'clean exit')
  t.ok(
    api.logs.some((l) => l.msg === 'stopped'),
    'logged that it stopped',
  )
})

t.test('ingest (one process): SIGTERM closes the producer and exits 0', async (t) => {
  const ingest = startService(t, 'ingest', { INGEST_PORT: '0', INGEST_WORKERS: '1', ...keys })
  const url = listeningUrl(await ingest.waitForLog((l) => /listening at/.test(String(l.msg))))
  t.equal((await fetch(`${url}/healthz`)).status, 200)
  ingest.child.kill('SIGTERM')
  const { code } = await ingest.exited
  t.equal(code, 0, 'clean exit')
  t.ok(ingest.logs.some((l) => l.msg === 'stopped'))
})

t.test('ingest with INGEST_WORKERS=2: both workers serve one port, SIGTERM stops them all', async (t) => {
  const topics = await createTestTopics('cluster-metrics', 2)
  const ingest = startService(t, 'ingest', { INGEST_PORT: '0', INGEST_WORKERS: '2', TAPS_TOPIC: topics.taps, ...keys })
  // Port 0 in cluster mode: the workers share the one port the primary opened.
  const url = listeningUrl(await ingest.waitForLog((l) => /listening at/.test(String(l.msg))))
  const listeningPids = () => new Set(ingest.logs.filter((l) => /listening at/.test(String(l.msg))).map((l) => l.pid))
  await waitFor('the second worker listening', async () => listeningPids().size >= 2, START_TIMEOUT_MS)
  const pids = listeningPids()
  t.equal(pids.size, 2, 'two worker processes listening')
  t.equal((await fetch(`${url}/healthz`)).status, 200)

  // Taps through both workers (separate connections), then /metrics from either counts them all.
  const taps = (n: number) =>
    Array.from({ length: n }, () => ({ tapId: newTapId(), cardToken: 'ct_cluster_metrics', kind: 'entry', tappedAt: new Date().toISOString(), routeId: '10' }))
  const token = issuer.deviceToken('validator-cluster-1', 'lutsk-bus')
  let accepted = 0
  for (let i = 0; i < 12; i++) {
    // A new connection each time: the primary hands connections to the workers in turn.
    const response = await fetch(`${url}/v1/taps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, connection: 'close' },
      body: JSON.stringify({ taps: taps(3) }),
    })
    t.equal(response.status, 200)
    accepted += 3
    const metrics = await (await fetch(`${url}/metrics`, { headers: { connection: 'close' } })).text()
    t.match(metrics, new RegExp(`^ingest_taps_accepted_total\\{[^}]*\\} ${accepted}$`, 'm'), `after ${accepted} taps, /metrics counts all of them`)
  }
  const uploadPids = new Set(ingest.logs.filter((l) => l.msg === 'incoming request' && JSON.stringify(l).includes('/v1/taps')).map((l) => l.pid))
  t.equal(uploadPids.size, 2, 'the uploads were served by both workers')
  ingest.child.kill('SIGTERM')
  const { code } = await ingest.exited
  t.equal(code, 0, 'clean exit')
  t.ok(
    ingest.logs.some((l) => l.msg === 'stopped' && !pids.has(l.pid)),
    'the primary stopped after its workers',
  )
})
