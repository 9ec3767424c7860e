/**
 * `npm start` (infra/start.ts, compiled, as `pnpm start` runs it after `pnpm
 * build`) as a supervisor sees it: a signal to its own process, not to its
 * whole process group, stops the stack, and start.ts exits only once every
 * service it started (ingest's workers included) has, within the shutdown
 * bound even when Kafka has gone away; if start.ts is killed without a chance
 * to pass a signal on, the services stop by themselves (their IPC channel to
 * it closes). The stack runs on a broker of this file's own, which the first
 * start.ts starts; the test that kills the broker runs last, so no start.ts
 * waits for a killed broker to come back (a restart after SIGKILL waits out
 * the old broker's session first).
 */

import { newTapId } from '@fare/contracts'
import { createTestDatabase } from '@fare/db/testing'
import { SHUTDOWN_TIMEOUT_MS } from '@fare/platform'
import t from 'tap'
import { devDeviceToken } from '../../infra/dev-auth.ts'
import { startCommand } from '../support/entries.ts'
import { createOwnBroker } from '../support/own-broker.ts'
import { commandLine, descendants, freePort, isAlive, START_TIMEOUT_MS, startNode, type Teardown } from '../support/process.ts'
import { waitFor } from '../support/stack.ts'

// Whole stacks and a broker of its own, started and stopped: minutes on a busy machine.
t.setTimeout(900_000)

const broker = createOwnBroker(t, 'npm-start')

/** start.ts on a database and topics of the test's own; resolves once it printed that the stack is up. */
async function startStack(t: Teardown) {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  const env = {
    ...broker.env,
    KAFKA_BROKERS: broker.brokers,
    DATABASE_URL: database.url,
    INGEST_PORT: String(await freePort()),
    LEDGER_PORT: String(await freePort()),
    API_PORT: String(await freePort()),
    INGEST_WORKERS: '2',
  }
  const stack = startNode(t, startCommand(), env)
  // start.ts waits up to a minute per service itself; a busy machine gets more.
  await waitFor('the stack up', async () => stack.text().includes('The stack is up') || stack.child.exitCode !== null, 3 * START_TIMEOUT_MS)
  if (!stack.text().includes('The stack is up')) throw new Error(`start.ts exited: ${stack.text()} ${stack.stderr.join('')}`)
  // start.ts -> ingest (primary -> 2 workers), ledger, api.
  const services = descendants(stack.pid)
  return { stack, services, env }
}

t.test('start.ts SIGKILLed: its services stop by themselves', async (t) => {
  const { stack, services } = await startStack(t)
  t.ok(services.length >= 5, `start.ts runs its services (${services.length} processes)`)
  process.kill(stack.pid, 'SIGKILL')
  await stack.exited
  await waitFor('every service gone', async () => services.filter(isAlive).length === 0, SHUTDOWN_TIMEOUT_MS + 10_000).catch(() => undefined)
  t.same(services.filter(isAlive).map(commandLine), [], 'no service runs on as an orphan')
})

t.test('Kafka gone, then SIGTERM to start.ts alone: every service stops before start.ts exits, within the bound', async (t) => {
  const { stack, services, env } = await startStack(t)
  t.ok(services.length >= 5, `start.ts runs its services (${services.length} processes)`)
  broker.kill()
  // A validator's upload in flight: ingest finishes it (a 503 once its produce
  // deadline passes) before it exits, so stopping takes seconds, not milliseconds.
  const upload = fetch(`http://127.0.0.1:${env.INGEST_PORT}/v1/taps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${devDeviceToken('validator-npm-start', 'lutsk-bus')}` },
    body: JSON.stringify({ taps: [{ tapId: newTapId(), cardToken: 'ct_npm_start', kind: 'entry', tappedAt: new Date().toISOString(), routeId: '10' }] }),
  }).then(
    (r) => r.status,
    (err: Error) => err.message,
  )
  await new Promise((r) => setTimeout(r, 500))
  const started = Date.now()
  process.kill(stack.pid, 'SIGTERM') // the process only, as a supervisor signals it
  const { code } = await stack.exited
  const ms = Date.now() - started
  t.equal(await upload, 503, 'the upload in flight was answered (503: Kafka is gone)')
  t.equal(code, 0, 'start.ts exits 0')
  t.ok(ms <= SHUTDOWN_TIMEOUT_MS + 5000, `within the shutdown bound (${ms} ms)`)
  t.same(services.filter(isAlive).map(commandLine), [], 'no service outlives start.ts')
})
