/**
 * Slow clients cannot hold connections open: a request whose headers or body
 * trickle in is closed once the headers or request timeout has passed (408
 * REQUEST_TIMEOUT in the error shape), on ingest and api alike. The test runs
 * with small timeouts; the defaults are in docs/operations.md.
 */
import { connect, type Socket } from 'node:net'
import { readApiConfig } from '@fare/api'
import { readIngestConfig } from '@fare/ingest'
import { EnvReader } from '@fare/platform'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { OPERATOR, startEdgeStack } from '../validator/support.ts'

const TIMEOUTS = { headersTimeoutMs: 1000, requestTimeoutMs: 2000, keepAliveTimeoutMs: 1000, connectionTimeoutMs: 5000 }
/** Slack for a busy machine: the connections must close well before this, not after minutes (or never). */
const CLOSED_WITHIN_MS = TIMEOUTS.requestTimeoutMs + 28_000

const stack = await startEdgeStack('slow', { ingest: { httpTimeouts: TIMEOUTS }, api: { httpTimeouts: TIMEOUTS } })
t.teardown(() => stack.close())

const sockets = new Set<Socket>()
t.teardown(() => {
  for (const s of sockets) s.destroy()
})

async function listen(app: FastifyInstance): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return (app.server.address() as { port: number }).port
}

interface Outcome {
  closedAfterMs: number
  answer: string
}

/** Sends `head`, then one byte of `trickle` every 200 ms (never finishing), until the server closes the connection. */
function slowClient(port: number, head: string, trickle: string | undefined): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = Date.now()
    const socket = connect({ host: '127.0.0.1', port })
    sockets.add(socket)
    let answer = ''
    let timer: NodeJS.Timeout | undefined
    socket.setEncoding('latin1')
    socket.on('connect', () => {
      if (head) socket.write(head)
      if (trickle) timer = setInterval(() => socket.writable && socket.write(trickle), 200)
    })
    socket.on('data', (chunk: string) => (answer += chunk))
    socket.on('error', () => {}) // a reset after the answer is expected
    socket.on('close', () => {
      clearInterval(timer)
      sockets.delete(socket)
      resolve({ closedAfterMs: Date.now() - started, answer })
    })
  })
}

async function allClosed(t: Test, label: string, clients: Promise<Outcome>[]): Promise<Outcome[]> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<'open'>((resolve) => (timer = setTimeout(() => resolve('open'), CLOSED_WITHIN_MS)))
  let closed = 0
  const outcome = await Promise.race([
    Promise.all(
      clients.map((c) =>
        c.then((o) => {
          closed++
          return o
        }),
      ),
    ),
    deadline,
  ])
  clearTimeout(timer)
  if (outcome === 'open') {
    t.fail(`${label}: ${clients.length - closed} of ${clients.length} connections still open after ${CLOSED_WITHIN_MS} ms`)
    return []
  }
  t.pass(`${label}: all ${clients.length} closed, the last after ${Math.max(...outcome.map((o) => o.closedAfterMs))} ms`)
  return outcome
}

function expectTimeoutAnswers(t: Test, label: string, outcomes: Outcome[]): void {
  const answered = outcomes.filter((o) => o.answer.startsWith('HTTP/1.1 408') && o.answer.includes('"code":"REQUEST_TIMEOUT"'))
  const others = [...new Set(outcomes.filter((o) => !answered.includes(o)).map((o) => o.answer.split('\r\n')[0] || '(nothing)'))]
  t.equal(
    answered.length,
    outcomes.length,
    `${label}: each answered 408 REQUEST_TIMEOUT in the error shape${others.length ? `; others: ${JSON.stringify(others)}` : ''}`,
  )
}

const slowBody = (path: string, extraHeaders = '') =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n${extraHeaders}\r\n{"a":"`

t.test('api: 100 anonymous slow-body connections to the device-token endpoint are closed', async (t) => {
  const port = await listen(stack.api)
  const outcomes = await allClosed(
    t,
    'slow bodies',
    Array.from({ length: 100 }, () => slowClient(port, slowBody('/v1/auth/device-token'), 'a')),
  )
  expectTimeoutAnswers(t, 'slow bodies', outcomes)
  const headers = await allClosed(
    t,
    'slow headers',
    Array.from({ length: 20 }, () => slowClient(port, 'POST /v1/auth/device-token HTTP/1.1\r\nHost: x\r\n', 'X')),
  )
  expectTimeoutAnswers(t, 'slow headers', headers)
  await allClosed(
    t,
    'silent connections',
    Array.from({ length: 20 }, () => slowClient(port, '', undefined)),
  )
})

t.test('ingest: slow bodies and headers on the tap route are closed', async (t) => {
  const port = await listen(stack.ingest)
  const token = stack.issuer.deviceToken('val-slow-1', OPERATOR)
  const outcomes = await allClosed(
    t,
    'slow bodies',
    Array.from({ length: 50 }, () => slowClient(port, slowBody('/v1/taps', `Authorization: Bearer ${token}\r\n`), 'a')),
  )
  expectTimeoutAnswers(t, 'slow bodies', outcomes)
  const headers = await allClosed(
    t,
    'slow headers',
    Array.from({ length: 20 }, () => slowClient(port, 'POST /v1/taps HTTP/1.1\r\nHost: x\r\n', 'X')),
  )
  expectTimeoutAnswers(t, 'slow headers', headers)
})

t.test('the timeouts and limits are settings with safe defaults', async (t) => {
  const ingest = readIngestConfig(new EnvReader({}))
  const api = readApiConfig(new EnvReader({}))
  for (const config of [ingest, api]) {
    t.same(config.httpTimeouts, { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 72_000, connectionTimeoutMs: 60_000 })
    t.equal(config.rateLimitPerMinute, 600)
  }
  t.match(readApiConfig(new EnvReader({ API_REQUEST_TIMEOUT_MS: '5000', API_HEADERS_TIMEOUT_MS: '2000', API_RATE_LIMIT_PER_MINUTE: '60' })), {
    httpTimeouts: { requestTimeoutMs: 5000, headersTimeoutMs: 2000 },
    rateLimitPerMinute: 60,
  })
  t.throws(
    () => readApiConfig(new EnvReader({ API_HEADERS_TIMEOUT_MS: '40000' })),
    { name: 'ConfigError' },
    'headers may not take longer than the whole request',
  )
  t.throws(
    () => readIngestConfig(new EnvReader({ INGEST_CONNECTION_TIMEOUT_MS: '5000' })),
    { name: 'ConfigError' },
    'a connection is not cut off while Kafka may still answer',
  )
  t.throws(() => readIngestConfig(new EnvReader({ INGEST_REQUEST_TIMEOUT_MS: '0' })), { name: 'ConfigError' }, 'a timeout of 0 (forever) is refused')
})
