/**
 * The HTTP contract at the edges of ingest and api: every string that reaches
 * Postgres is checked by a schema (a NUL byte is a 400, never a 500), JSON
 * routes want JSON (415 otherwise) and never coerce a body's types, and the
 * errors that Fastify and Node raise before any route runs (a bad URL, a
 * parameter too long, headers too large, bytes that are not HTTP) have the
 * `{"error": {"code", "message"}}` shape too. Every valid card token works
 * on the balance route.
 */
import { connect } from 'node:net'
import { openCard } from '@fare/bookkeeping'
import { createHttpServer } from '@fare/platform'
import t from 'tap'
import { OPERATOR, startEdgeStack } from '../validator/support.ts'

const stack = await startEdgeStack('contract', { ingest: { rateLimitPerMinute: 1_000_000 } })
t.teardown(() => stack.close())
const admin = stack.issuer.adminToken()
const device = stack.issuer.deviceToken('val-contract-1', OPERATOR, 'taps:write denylist:read tariff:read')
const apps = [
  { name: 'api', app: stack.api, token: admin, withParam: (value: string) => `/v1/cards/${value}/balance` },
  { name: 'ingest', app: stack.ingest, token: device, withParam: (value: string) => `/v1/tariff/${value}/feed` },
]
const code = (res: { json(): unknown }) => (res.json() as { error?: { code?: string } }).error?.code

interface OpenApi {
  paths: Record<
    string,
    Record<string, { parameters?: { in: string; name: string; schema: unknown }[]; requestBody?: { content: Record<string, { schema: unknown }> } }>
  >
}

/** Every string schema under `schema`, with where it is. */
function strings(schema: unknown, where: string, found: { where: string; schema: Record<string, unknown> }[] = []) {
  if (typeof schema !== 'object' || schema === null) return found
  const s = schema as Record<string, unknown>
  if (s.type === 'string') found.push({ where, schema: s })
  for (const [key, value] of Object.entries(s)) {
    if (key === 'properties' && typeof value === 'object' && value) for (const [name, sub] of Object.entries(value)) strings(sub, `${where}.${name}`, found)
    else if (['items', 'anyOf', 'oneOf', 'allOf', 'additionalProperties'].includes(key)) strings(value, `${where}[${key}]`, found)
    else if (Array.isArray(value)) for (const [i, v] of value.entries()) strings(v, `${where}[${i}]`, found)
  }
  return found
}

t.test('every string a route takes (path, query, body) is bounded and patterned', async (t) => {
  for (const { name, app } of apps) {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as OpenApi
    let checked = 0
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const inputs = [
          ...(op.parameters ?? []).filter((p) => p.in !== 'header').map((p) => ({ where: `${p.in} ${p.name}`, schema: p.schema })),
          ...Object.values(op.requestBody?.content ?? {}).map((c) => ({ where: 'body', schema: c.schema })),
        ]
        for (const input of inputs) {
          for (const found of strings(input.schema, input.where)) {
            checked++
            const s = found.schema
            t.ok(typeof s.maxLength === 'number' || Array.isArray(s.enum) || 'const' in s, `${name} ${method.toUpperCase()} ${path} ${found.where}: bounded`)
            t.ok(
              typeof s.pattern === 'string' || typeof s.format === 'string' || Array.isArray(s.enum) || 'const' in s,
              `${name} ${method.toUpperCase()} ${path} ${found.where}: patterned`,
            )
          }
        }
      }
    }
    t.ok(checked > 0, `${name}: ${checked} string inputs checked`)
  }
})

t.test('NUL bytes are 400 REQUEST_INVALID, never 500', async (t) => {
  const balance = await stack.api.inject({ method: 'GET', url: '/v1/cards/ct_%00nul_card_01/balance', headers: { authorization: `Bearer ${admin}` } })
  t.equal(balance.statusCode, 400)
  t.equal(code(balance), 'REQUEST_INVALID')
  const register = await stack.api.inject({
    method: 'POST',
    url: '/v1/devices',
    headers: { authorization: `Bearer ${admin}` },
    payload: { id: 'val-nul-1', operatorId: `${OPERATOR}\u0000`, publicKeyPem: '-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n' },
  })
  t.equal(register.statusCode, 400)
  t.equal(code(register), 'REQUEST_INVALID')
  const assertion = await stack.api.inject({ method: 'POST', url: '/v1/auth/device-token', payload: { deviceId: 'val-nul-1', assertion: 'a.b\u0000.c' } })
  t.equal(assertion.statusCode, 400)
  const deny = await stack.ingest.inject({ method: 'GET', url: '/v1/deny-list?since=1%00', headers: { authorization: `Bearer ${device}` } })
  t.equal(deny.statusCode, 400)
  t.equal(code(deny), 'REQUEST_INVALID')
})

t.test('JSON routes answer 415 to any other content type, or none', async (t) => {
  const jsonRoutes = [
    { app: stack.api, url: '/v1/devices', token: admin, body: { id: 'val-415', operatorId: OPERATOR, publicKeyPem: 'x' } },
    { app: stack.api, url: '/v1/auth/device-token', token: admin, body: { deviceId: 'val-415', assertion: 'a.b.c' } },
    { app: stack.ingest, url: '/v1/taps', token: device, body: { taps: [{}] } },
  ]
  for (const route of jsonRoutes) {
    for (const [label, headers, payload] of [
      ['text/plain', { 'content-type': 'text/plain' }, JSON.stringify(route.body)],
      ['form', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=1'],
      ['no content type, a body', {}, JSON.stringify(route.body)],
      ['no content type, no body', {}, undefined],
    ] as const) {
      const res = await route.app.inject({
        method: 'POST',
        url: route.url,
        headers: { authorization: `Bearer ${route.token}`, ...headers },
        ...(payload === undefined ? {} : { payload }),
      })
      t.equal(res.statusCode, 415, `${route.url}: ${label}`)
      t.equal(code(res), 'UNSUPPORTED_MEDIA_TYPE', `${route.url}: ${label}`)
    }
  }
  const revoke = await stack.api.inject({ method: 'POST', url: '/v1/devices/val-none/revoke', headers: { authorization: `Bearer ${admin}` } })
  t.equal(revoke.statusCode, 404, 'a POST route without a body needs no content type')
})

t.test('a body is never coerced to the schema: null is not [null], 123 is not "123"', async (t) => {
  const taps = await stack.ingest.inject({
    method: 'POST',
    url: '/v1/taps',
    headers: { authorization: `Bearer ${device}`, 'content-type': 'application/json' },
    payload: '{"taps": null}',
  })
  t.equal(taps.statusCode, 400)
  t.equal(code(taps), 'REQUEST_INVALID')
  const one = await stack.ingest.inject({
    method: 'POST',
    url: '/v1/taps',
    headers: { authorization: `Bearer ${device}`, 'content-type': 'application/json' },
    payload: '{"taps": {"tapId": "x"}}',
  })
  t.equal(one.statusCode, 400, 'an object is not an array of one')
  const numeric = await stack.api.inject({ method: 'POST', url: '/v1/auth/device-token', payload: { deviceId: 12345678, assertion: 'a.b.c' } })
  t.equal(numeric.statusCode, 400)
  t.equal(code(numeric), 'REQUEST_INVALID')
})

t.test('querystrings and params are still coerced (numbers in a URL are strings on the wire)', async (t) => {
  const app = createHttpServer({ logger: stack.topics.logger })
  t.teardown(() => app.close())
  app.get(
    '/n/:id',
    {
      schema: {
        params: { type: 'object', properties: { id: { type: 'integer' } } },
        querystring: { type: 'object', required: ['limit'], properties: { limit: { type: 'integer', minimum: 1 }, flag: { type: 'boolean' } } },
      },
    },
    async (request) => ({
      params: request.params,
      query: request.query,
    }),
  )
  const res = await app.inject({ method: 'GET', url: '/n/7?limit=20&flag=true' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { params: { id: 7 }, query: { limit: 20, flag: true } })
})

t.test('every valid card token, up to 128 characters, works on the balance route', async (t) => {
  const long = `ct_${'L'.repeat(125)}`
  t.equal(long.length, 128)
  await stack.database.db.transaction().execute((trx) => openCard(trx, { cardToken: long, currency: 'UAH', riderCategoryId: 'adult' }))
  const res = await stack.api.inject({ method: 'GET', url: `/v1/cards/${long}/balance`, headers: { authorization: `Bearer ${admin}` } })
  t.equal(res.statusCode, 200)
  t.equal((res.json() as { cardToken: string }).cardToken, long)
  const tooLong = await stack.api.inject({ method: 'GET', url: `/v1/cards/${long}x/balance`, headers: { authorization: `Bearer ${admin}` } })
  t.equal(tooLong.statusCode, 400)
  t.equal(code(tooLong), 'REQUEST_INVALID')
})

/** Raw bytes to a listening app; resolves with everything it answered before closing. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    let answer = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (answer += chunk))
    socket.on('error', (err) => (answer ? resolve(answer) : reject(err)))
    socket.on('close', () => resolve(answer))
    socket.setTimeout(15_000, () => socket.destroy(new Error('no answer')))
    socket.write(bytes, 'latin1')
  })
}

function errorOf(answer: string): { status: number; code?: string | undefined } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1])
  const body = answer.slice(answer.indexOf('\r\n\r\n') + 4)
  try {
    return { status, code: (JSON.parse(body) as { error?: { code?: string } }).error?.code }
  } catch {
    return { status }
  }
}

for (const { name, app, token, withParam } of apps) {
  t.test(`${name}: errors raised before any route have the error shape`, async (t) => {
    await app.listen({ host: '127.0.0.1', port: 0 })
    const port = (app.server.address() as { port: number }).port
    const auth = `Authorization: Bearer ${token}\r\n`
    const cases: [string, string, number, string][] = [
      ['a bad URL', `GET ${withParam('%E0%A4%A')} HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`, 400, 'REQUEST_INVALID'],
      [
        'a parameter longer than any route takes',
        `GET ${withParam('1'.repeat(3000))} HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`,
        414,
        'URI_TOO_LONG',
      ],
      ['headers too large', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
      ['bytes that are not HTTP', 'HELLO THERE\r\n\r\n', 400, 'REQUEST_INVALID'],
      ['a broken header line', 'GET /healthz HTTP/1.1\r\nHost x\r\n\r\n', 400, 'REQUEST_INVALID'],
    ]
    for (const [label, bytes, status, errorCode] of cases) {
      const answer = errorOf(await raw(port, bytes))
      t.equal(answer.status, status, `${label}: status`)
      t.equal(answer.code, errorCode, `${label}: code`)
    }
  })
}
