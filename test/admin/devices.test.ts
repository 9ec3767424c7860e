/**
 * GET /v1/devices: every registered device, a page at a time in id order, each
 * with when it was last seen (its last access token). Admins only; the page
 * size and cursor are checked at the edge.
 */

import { AUDIENCE, generateDeviceKeyPair, signDeviceAssertion } from '@fare/auth'
import { ensureOperator } from '@fare/bookkeeping'
import t from 'tap'
import { code, startAdminApi } from './support.ts'

const api = await startAdminApi()
t.teardown(() => api.close())
await ensureOperator(api.database.db, 'op-list', 'Operator')

const keys = generateDeviceKeyPair('ES256')
for (const id of ['val-c', 'val-a', 'val-b', 'val-d', 'val-e']) {
  const res = await api.call('POST', '/v1/devices', { id, operatorId: 'op-list', publicKeyPem: keys.publicKeyPem })
  if (res.statusCode !== 201) throw new Error(`register ${id}: ${res.body}`)
}

t.test('pages in id order; next is null on the last page', async (t) => {
  const first = await api.call('GET', '/v1/devices?limit=2')
  t.equal(first.statusCode, 200)
  t.same(
    first.json().devices.map((d: { id: string }) => d.id),
    ['val-a', 'val-b'],
  )
  t.equal(first.json().next, 'val-b')
  const second = await api.call('GET', '/v1/devices?limit=2&after=val-b')
  t.same(
    second.json().devices.map((d: { id: string }) => d.id),
    ['val-c', 'val-d'],
  )
  const last = await api.call('GET', `/v1/devices?limit=2&after=${second.json().next}`)
  t.same(
    last.json().devices.map((d: { id: string }) => d.id),
    ['val-e'],
  )
  t.equal(last.json().next, null)
  const all = await api.call('GET', '/v1/devices')
  t.equal(all.json().devices.length, 5, 'the default page holds them all')
  t.equal(all.json().next, null)
  t.match(all.json().devices[0], { id: 'val-a', operatorId: 'op-list', algorithm: 'ES256', status: 'active', revokedAt: null, lastSeenAt: null })
})

t.test('a device is seen when it trades an assertion for a token', async (t) => {
  const before = Date.now()
  const token = await api.app.inject({
    method: 'POST',
    url: '/v1/auth/device-token',
    payload: { deviceId: 'val-c', assertion: signDeviceAssertion({ privateKeyPem: keys.privateKeyPem, deviceId: 'val-c' }) },
  })
  t.equal(token.statusCode, 200)
  const devices = (await api.call('GET', '/v1/devices')).json().devices as { id: string; lastSeenAt: string | null }[]
  const seen = devices.find((d) => d.id === 'val-c')?.lastSeenAt
  t.ok(seen && Date.parse(seen) >= before - 1000 && Date.parse(seen) <= Date.now() + 1000, `last seen ${seen}`)
  t.same(
    devices.filter((d) => d.lastSeenAt !== null).map((d) => d.id),
    ['val-c'],
    'the others are not seen yet',
  )
  t.equal((await api.call('GET', '/v1/devices/val-c')).json().lastSeenAt, seen, 'the single view says the same')
})

t.test('bad paging is 400; other roles are refused', async (t) => {
  for (const query of ['limit=0', 'limit=501', 'limit=ten', 'after=val%00a', `after=${'x'.repeat(65)}`, 'sort=id']) {
    const res = await api.call('GET', `/v1/devices?${query}`)
    t.equal(res.statusCode, 400, query)
    t.equal(code(res), 'REQUEST_INVALID', query)
  }
  t.equal((await api.call('GET', '/v1/devices', undefined, {}, null)).statusCode, 401)
  for (const token of [api.issuer.riderToken('rider-1'), api.issuer.sign({ sub: 'op-1', role: 'operator', operator_id: 'op-list' }, AUDIENCE.api)]) {
    t.equal((await api.call('GET', '/v1/devices', undefined, {}, token)).statusCode, 403)
  }
})
