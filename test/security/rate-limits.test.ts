/**
 * Rate limits on the edges: the api limits each token subject, and each
 * client address for anonymous calls (the device-token endpoint) and bad
 * tokens; ingest counts requests with bad tokens by address too, so a flood
 * of them is 429 RATE_LIMITED instead of an endless stream of 401s, while a
 * device with a valid token behind the same address keeps its own budget.
 */
import t, { type Test } from 'tap'
import { AUDIENCE, OPERATOR, startEdgeStack } from '../validator/support.ts'

const LIMIT = 5
const stack = await startEdgeStack('ratelimit', { ingest: { rateLimitPerMinute: LIMIT }, api: { rateLimitPerMinute: LIMIT } })
t.teardown(() => stack.close())

type Inject = () => Promise<{ statusCode: number; headers: Record<string, unknown>; json(): unknown }>

/** Sends LIMIT requests (none limited), then one more, which must be 429 RATE_LIMITED with Retry-After. */
async function expectLimitedAfter(t: Test, label: string, send: Inject): Promise<void> {
  for (let i = 0; i < LIMIT; i++) t.not((await send()).statusCode, 429, `${label}: request ${i + 1} is within the limit`)
  const over = await send()
  t.equal(over.statusCode, 429, `${label}: request ${LIMIT + 1} is limited`)
  t.equal((over.json() as { error?: { code?: string } }).error?.code, 'RATE_LIMITED', label)
  t.ok(Number(over.headers['retry-after']) > 0, `${label}: with Retry-After`)
}

t.test('api: anonymous calls are limited per client address', async (t) => {
  const tokenRequest = (remoteAddress: string) => () =>
    stack.api.inject({ method: 'POST', url: '/v1/auth/device-token', remoteAddress, payload: { deviceId: 'val-nobody', assertion: 'a.b.c' } })
  await expectLimitedAfter(t, 'one address', tokenRequest('10.0.0.1'))
  t.equal((await tokenRequest('10.0.0.2')()).statusCode, 401, 'another address is not limited')
})

t.test('api: authenticated calls are limited per token subject, bad tokens per address', async (t) => {
  const get =
    (token: string, remoteAddress = '10.0.1.1') =>
    () =>
      stack.api.inject({ method: 'GET', url: '/v1/devices/val-none', remoteAddress, headers: { authorization: `Bearer ${token}` } })
  await expectLimitedAfter(t, 'one admin', get(stack.issuer.adminToken()))
  t.equal(
    (await get(stack.issuer.sign({ sub: 'admin-2', role: 'admin' }, AUDIENCE.api))()).statusCode,
    404,
    'another admin behind the same address is not limited',
  )
  await expectLimitedAfter(t, 'bad tokens from one address', get('not.a.jwt', '10.0.1.2'))
  t.equal((await get('not.a.jwt', '10.0.1.3')()).statusCode, 401, 'bad tokens from another address are not limited')
})

t.test('ingest: a flood of bad tokens is limited by address; devices keep their own budget', async (t) => {
  const taps = (token: string, remoteAddress: string) => () =>
    stack.ingest.inject({ method: 'GET', url: '/v1/deny-list', remoteAddress, headers: { authorization: `Bearer ${token}` } })
  await expectLimitedAfter(t, 'bad tokens', taps('not.a.jwt', '10.0.2.1'))
  const expired = stack.issuer.sign(
    { sub: 'val-rl-1', role: 'device', operator_id: OPERATOR, scope: 'denylist:read' },
    AUDIENCE.ingest,
    60,
    Math.floor(Date.now() / 1000) - 3600,
  )
  t.equal((await taps(expired, '10.0.2.1')()).statusCode, 429, 'an expired token from that address is counted with them')
  const good = stack.issuer.deviceToken('val-rl-1', OPERATOR, 'denylist:read')
  t.equal((await taps(good, '10.0.2.1')()).statusCode, 200, 'a valid device behind the same address is served')
})
