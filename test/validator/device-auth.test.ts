/**
 * Device identity end to end: a device registered with its public key trades
 * a signed assertion for an access token, and ingest takes only tokens the
 * issuer signed, with the algorithm, issuer, audience and expiry pinned.
 * Every forgery below is a known way JWT verifiers have been fooled; each
 * must be a 401 with a stable code, never a 2xx and never a 5xx.
 */

import { createHmac, generateKeyPairSync } from 'node:crypto'
import { buildApp as buildApi } from '@fare/api'
import { AUDIENCE, generateDeviceKeyPair, signAccessToken, signDeviceAssertion } from '@fare/auth'
import { newTapId } from '@fare/contracts'
import { createMetricsRegistry } from '@fare/platform'
import t, { type Test } from 'tap'
import { OPERATOR, startEdgeStack, tapAt } from './support.ts'

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const nowSeconds = () => Math.floor(Date.now() / 1000)

function unsignedToken(claims: Record<string, unknown>): string {
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`
}

function hs256(claims: Record<string, unknown>, secret: string): string {
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

const stack = await startEdgeStack('devauth')
t.teardown(() => stack.close())
const { ingest, api, issuer } = stack
const device = await stack.registerDevice('val-auth-1')
const other = await stack.registerDevice('val-auth-2')

async function postTaps(token: string) {
  return ingest.inject({
    method: 'POST',
    url: '/v1/taps',
    headers: { authorization: `Bearer ${token}` },
    payload: { taps: [tapAt(newTapId(), 'ct_auth_card_0001')] },
  })
}

function expect401(t: Test, res: { statusCode: number; json(): unknown }, reason?: string) {
  t.equal(res.statusCode, 401)
  const body = res.json() as { error: { code: string; details?: { reason?: string } } }
  t.equal(body.error.code, 'TOKEN_INVALID')
  if (reason) t.equal(body.error.details?.reason, reason)
}

t.test('a registered device gets a token that ingest accepts', async (t) => {
  const token = await stack.deviceToken('val-auth-1', device.privateKeyPem)
  const res = await postTaps(token)
  t.equal(res.statusCode, 200)
  t.equal((res.json() as { results: { status: string }[] }).results[0]?.status, 'accepted')
  const [, payload] = token.split('.')
  const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString()) as Record<string, unknown>
  t.match(claims, {
    sub: 'val-auth-1',
    role: 'device',
    operator_id: OPERATOR,
    iss: 'fare-auth',
    aud: AUDIENCE.ingest,
    scope: 'taps:write denylist:read tariff:read',
  })
  t.ok((claims.exp as number) - (claims.iat as number) <= 600, 'minutes long')
})

t.test('an Ed25519 device signs EdDSA assertions', async (t) => {
  const ed = await stack.registerDevice('val-auth-ed', OPERATOR, 'EdDSA')
  const token = await stack.deviceToken('val-auth-ed', ed.privateKeyPem)
  t.equal((await postTaps(token)).statusCode, 200)
})

t.test('forged and wrong access tokens at ingest', async (t) => {
  const base = {
    sub: 'val-auth-1',
    role: 'device',
    operator_id: OPERATOR,
    scope: 'taps:write',
    iss: 'fare-auth',
    aud: AUDIENCE.ingest,
    iat: nowSeconds(),
    exp: nowSeconds() + 300,
  }
  expect401(t, await postTaps(unsignedToken(base)), 'invalid')
  expect401(t, await postTaps(hs256(base, issuer.publicKeyPem)), 'invalid')
  // CVE-2023-48223: a public key with leading whitespace was taken for an HMAC secret.
  expect401(t, await postTaps(hs256(base, `  \n${issuer.publicKeyPem}`)), 'invalid')
  expect401(t, await postTaps(hs256(base, issuer.publicKeyPem.trim())), 'invalid')
  expect401(t, await postTaps(issuer.sign({ sub: 'val-auth-1', role: 'device', operator_id: OPERATOR, scope: 'taps:write' }, 'fare-api')), 'invalid')
  const otherIssuer = signAccessToken(
    { sub: 'val-auth-1', role: 'device', operator_id: OPERATOR, scope: 'taps:write' },
    { privateKeyPem: issuer.privateKeyPem, issuer: 'someone-else', audience: AUDIENCE.ingest, expiresInSeconds: 300 },
  )
  expect401(t, await postTaps(otherIssuer), 'invalid')
  const expired = issuer.sign({ sub: 'val-auth-1', role: 'device', operator_id: OPERATOR, scope: 'taps:write' }, AUDIENCE.ingest, 60, nowSeconds() - 3600)
  expect401(t, await postTaps(expired), 'expired')
  const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  expect401(
    t,
    await postTaps(
      signAccessToken(
        { sub: 'val-auth-1', role: 'device', operator_id: OPERATOR, scope: 'taps:write' },
        { privateKeyPem: stranger, audience: AUDIENCE.ingest, expiresInSeconds: 300 },
      ),
    ),
    'invalid',
  )
  expect401(t, await ingest.inject({ method: 'POST', url: '/v1/taps', payload: { taps: [tapAt(newTapId(), 'ct_auth_card_0001')] } }), 'missing')
  expect401(t, await postTaps('not.a.jwt'), 'invalid')
  // A token for a device: a device-scope token without taps:write is 403, an admin token 403 too.
  const readOnly = issuer.deviceToken('val-auth-1', OPERATOR, 'denylist:read')
  const denied = await postTaps(readOnly)
  t.equal(denied.statusCode, 403)
  t.equal((denied.json() as { error: { code: string } }).error.code, 'SCOPE_DENIED')
})

t.test('a key with whitespace around it still verifies only ES256', async (t) => {
  const { buildApp } = await import('@fare/ingest')
  const app = await buildApp(
    { logger: stack.topics.logger, sink: stack.sink, registry: createMetricsRegistry('ingest'), jwtPublicKeyPem: `\n   ${issuer.publicKeyPem}\n` },
    { bodyLimitBytes: 65536 },
  )
  t.teardown(() => app.close())
  const claims = {
    sub: 'val-auth-1',
    role: 'device',
    operator_id: OPERATOR,
    scope: 'taps:write',
    iss: 'fare-auth',
    aud: AUDIENCE.ingest,
    exp: nowSeconds() + 300,
  }
  const forged = await app.inject({
    method: 'POST',
    url: '/v1/taps',
    headers: { authorization: `Bearer ${hs256(claims, `\n   ${issuer.publicKeyPem}\n`)}` },
    payload: { taps: [tapAt(newTapId(), 'ct_auth_card_0001')] },
  })
  expect401(t, forged, 'invalid')
  const good = await app.inject({
    method: 'POST',
    url: '/v1/taps',
    headers: { authorization: `Bearer ${issuer.deviceToken('val-auth-1', OPERATOR)}` },
    payload: { taps: [tapAt(newTapId(), 'ct_auth_card_0001')] },
  })
  t.equal(good.statusCode, 200)
})

t.test('the token endpoint refuses bad assertions, each with its reason', async (t) => {
  const tokenFor = (deviceId: string, assertion: string) => api.inject({ method: 'POST', url: '/v1/auth/device-token', payload: { deviceId, assertion } })
  const claims = { iss: 'val-auth-1', sub: 'val-auth-1', aud: 'fare-device-token', iat: nowSeconds(), exp: nowSeconds() + 60, jti: 'a-unique-jti-1' }
  expect401(t, await tokenFor('val-auth-1', unsignedToken(claims)), 'algorithm')
  const devicePublic = (await stack.database.db.selectFrom('devices').select('public_key_pem').where('id', '=', 'val-auth-1').executeTakeFirstOrThrow())
    .public_key_pem
  expect401(t, await tokenFor('val-auth-1', hs256(claims, devicePublic)), 'algorithm')
  expect401(t, await tokenFor('val-auth-1', hs256(claims, ` ${devicePublic}`)), 'algorithm')
  // Another device's assertion (signed with its own key) for this device id, both ways round.
  expect401(t, await tokenFor('val-auth-1', signDeviceAssertion({ privateKeyPem: other.privateKeyPem, deviceId: 'val-auth-2' })), 'signature')
  expect401(t, await tokenFor('val-auth-1', signDeviceAssertion({ privateKeyPem: device.privateKeyPem, deviceId: 'val-auth-2' })), 'issuer')
  expect401(t, await tokenFor('val-auth-1', signDeviceAssertion({ privateKeyPem: other.privateKeyPem, deviceId: 'val-auth-1' })), 'signature')
  expect401(
    t,
    await tokenFor('val-auth-1', signDeviceAssertion({ privateKeyPem: device.privateKeyPem, deviceId: 'val-auth-1', audience: 'somewhere-else' })),
    'audience',
  )
  expect401(
    t,
    await tokenFor('val-auth-1', signDeviceAssertion({ privateKeyPem: device.privateKeyPem, deviceId: 'val-auth-1', nowSeconds: nowSeconds() - 3600 })),
    'expired',
  )
  expect401(
    t,
    await tokenFor('val-auth-1', signDeviceAssertion({ privateKeyPem: device.privateKeyPem, deviceId: 'val-auth-1', lifetimeSeconds: 3600 })),
    'lifetime',
  )
  expect401(t, await tokenFor('val-nobody', signDeviceAssertion({ privateKeyPem: device.privateKeyPem, deviceId: 'val-nobody' })), 'unknown_device')
  const once = signDeviceAssertion({ privateKeyPem: device.privateKeyPem, deviceId: 'val-auth-1' })
  t.equal((await tokenFor('val-auth-1', once)).statusCode, 200)
  expect401(t, await tokenFor('val-auth-1', once), 'replayed')
  const bad = await api.inject({ method: 'POST', url: '/v1/auth/device-token', payload: { deviceId: 'val-auth-1', assertion: once, extra: 1 } })
  t.equal(bad.statusCode, 400)
  t.equal((bad.json() as { error: { code: string } }).error.code, 'REQUEST_INVALID')
})

t.test('device registration is for admins, with a usable public key', async (t) => {
  const keys = generateDeviceKeyPair()
  const register = (token: string, payload: unknown) =>
    api.inject({ method: 'POST', url: '/v1/devices', headers: { authorization: `Bearer ${token}` }, payload: payload as object })
  const asDevice = await register(issuer.sign({ sub: 'val-auth-1', role: 'device', operator_id: OPERATOR, scope: 'taps:write' }, AUDIENCE.api), {
    id: 'x-1',
    operatorId: OPERATOR,
    publicKeyPem: keys.publicKeyPem,
  })
  t.equal(asDevice.statusCode, 403)
  const admin = issuer.adminToken()
  const code = async (payload: unknown) => ((await register(admin, payload)).json() as { error?: { code: string } }).error?.code
  t.equal(await code({ id: 'x-2', operatorId: OPERATOR, publicKeyPem: keys.privateKeyPem }), 'KEY_INVALID', 'a private key is refused')
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString()
  t.equal(await code({ id: 'x-3', operatorId: OPERATOR, publicKeyPem: rsa }), 'KEY_INVALID', 'an RSA key is refused')
  t.equal(await code({ id: 'x-4', operatorId: OPERATOR, publicKeyPem: 'secret' }), 'KEY_INVALID')
  t.equal(await code({ id: 'x-5', operatorId: 'nope', publicKeyPem: keys.publicKeyPem }), 'OPERATOR_NOT_FOUND')
  t.equal(await code({ id: 'val-auth-1', operatorId: OPERATOR, publicKeyPem: keys.publicKeyPem }), 'DEVICE_EXISTS')
  const ok = await register(admin, { id: 'x-6', operatorId: OPERATOR, publicKeyPem: `  ${keys.publicKeyPem}` })
  t.equal(ok.statusCode, 201)
  t.match(ok.json(), { id: 'x-6', operatorId: OPERATOR, algorithm: 'ES256', status: 'active', revokedAt: null })
})

t.test('a revoked device gets no new token, and its last token dies when it expires', async (t) => {
  // An api issuing five-second tokens, so expiry happens within the test (one second, floored to whole
  // seconds, left a busy machine too little time to use the token before it expired).
  const shortApi = await buildApi(
    {
      logger: stack.topics.logger,
      db: stack.database.db,
      registry: createMetricsRegistry('api'),
      jwtPublicKeyPem: issuer.publicKeyPem,
      jwtPrivateKeyPem: issuer.privateKeyPem,
    },
    { deviceTokenTtlSeconds: 5 },
  )
  t.teardown(() => shortApi.close())
  const keys = await stack.registerDevice('val-auth-revoked')
  const res = await shortApi.inject({
    method: 'POST',
    url: '/v1/auth/device-token',
    payload: { deviceId: 'val-auth-revoked', assertion: signDeviceAssertion({ privateKeyPem: keys.privateKeyPem, deviceId: 'val-auth-revoked' }) },
  })
  const token = (res.json() as { accessToken: string }).accessToken
  const expiresAtMs = (JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as { exp: number }).exp * 1000
  t.equal((await postTaps(token)).statusCode, 200, 'works before revocation')

  const revoke = await api.inject({ method: 'POST', url: '/v1/devices/val-auth-revoked/revoke', headers: { authorization: `Bearer ${issuer.adminToken()}` } })
  t.equal(revoke.statusCode, 200)
  t.equal((revoke.json() as { status: string }).status, 'revoked')
  const again = await api.inject({
    method: 'POST',
    url: '/v1/auth/device-token',
    payload: { deviceId: 'val-auth-revoked', assertion: signDeviceAssertion({ privateKeyPem: keys.privateKeyPem, deviceId: 'val-auth-revoked' }) },
  })
  t.equal(again.statusCode, 401)
  t.equal((again.json() as { error: { code: string } }).error.code, 'DEVICE_REVOKED')

  await new Promise((r) => setTimeout(r, Math.max(0, expiresAtMs + 1100 - Date.now())))
  expect401(t, await postTaps(token), 'expired')
})
