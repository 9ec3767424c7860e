/**
 * The balance lookup answers the card's owner, an admin and a kiosk device;
 * everyone else gets the same 404 as for an unknown card, so tokens cannot be
 * probed. Amounts are decimal strings with their currency. (Caps, which need a
 * tariff and settled taps, are checked in riders.test.ts.)
 */

import { AUDIENCE } from '@fare/auth'
import { openCard, refreshDenyList, topUp } from '@fare/bookkeeping'
import { createTestDatabase } from '@fare/db/testing'
import { parseAmount } from '@fare/money'
import { createLogger, createMetricsRegistry } from '@fare/platform'
import t from 'tap'
import { createTestIssuer } from '../../../test/support/keys.ts'
import { buildApp } from '../src/app.ts'

t.test('balance lookup', async (t) => {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  const issuer = createTestIssuer()
  const app = await buildApp({
    logger: createLogger({ level: 'silent', name: 'api-test' }),
    db: database.db,
    registry: createMetricsRegistry('api'),
    jwtPublicKeyPem: issuer.publicKeyPem,
    now: () => new Date('2026-07-05T08:00:00Z'),
  })
  t.teardown(() => app.close())

  const accountId = await database.db
    .transaction()
    .execute((trx) => openCard(trx, { cardToken: 'ct_balance_0001', currency: 'UAH', riderId: 'rider-1', riderCategoryId: 'pupil' }))
  await topUp(database.db, { accountId, amount: parseAmount('42.50'), idempotencyKey: 'k1' })

  const get = (token: string | undefined, card = 'ct_balance_0001') =>
    app.inject({ method: 'GET', url: `/v1/cards/${card}/balance`, headers: token ? { authorization: `Bearer ${token}` } : {} })

  const own = await get(issuer.riderToken('rider-1'))
  t.equal(own.statusCode, 200)
  t.same(own.json(), {
    cardToken: 'ct_balance_0001',
    status: 'active',
    balance: { amount: '42.50', currency: 'UAH' },
    riderCategory: 'pupil',
    timeZone: null,
    caps: [],
    asOf: '2026-07-05T08:00:00.000Z',
  })
  t.equal((await get(issuer.adminToken())).statusCode, 200, 'admin sees any card')
  t.equal((await get(issuer.sign({ sub: 'kiosk-1', role: 'device', operator_id: 'op', scope: 'balance:read' }, AUDIENCE.api))).statusCode, 200, 'kiosk device')

  for (const [name, token] of [
    ['another rider', issuer.riderToken('rider-2')],
    ['an operator', issuer.sign({ sub: 'u1', role: 'operator', operator_id: 'op' }, AUDIENCE.api)],
    ['a device without balance:read', issuer.sign({ sub: 'd1', role: 'device', operator_id: 'op', scope: 'taps:write' }, AUDIENCE.api)],
  ] as const) {
    const res = await get(token)
    t.equal(res.statusCode, 404, name)
    t.equal(res.json().error.code, 'CARD_NOT_FOUND', name)
  }
  t.equal((await get(issuer.adminToken(), 'ct_unknown_9999')).json().error.code, 'CARD_NOT_FOUND')

  const noToken = await get(undefined)
  t.equal(noToken.statusCode, 401)
  t.equal(noToken.json().error.code, 'TOKEN_INVALID')
  const ingestAudience = await get(issuer.sign({ sub: 'rider-1', role: 'rider' }, AUDIENCE.ingest))
  t.equal(ingestAudience.statusCode, 401, 'a token for another audience is refused')
  const expired = await get(issuer.sign({ sub: 'rider-1', role: 'rider' }, AUDIENCE.api, 60, Math.floor(Date.now() / 1000) - 3600))
  t.equal(expired.statusCode, 401, 'expired')
  const noneHeader = Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')
  const adminClaims = Buffer.from(JSON.stringify({ sub: 'rider-1', role: 'admin', iss: 'fare-auth', aud: 'fare-api', exp: 9999999999 })).toString('base64url')
  const unsigned = `${noneHeader}.${adminClaims}.`
  t.equal((await get(unsigned)).statusCode, 401, 'alg none')
})

t.test('health, readiness and metrics', async (t) => {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  const app = await buildApp({
    logger: createLogger({ level: 'silent', name: 'api-test' }),
    db: database.db,
    registry: createMetricsRegistry('api'),
    jwtPublicKeyPem: createTestIssuer().publicKeyPem,
  })
  t.teardown(() => app.close())
  t.same((await app.inject('/healthz')).json(), { status: 'ok' })
  t.same((await app.inject('/readyz')).json(), { status: 'ready', checks: { postgres: 'ok' } })
  t.match((await app.inject('/metrics')).body, /process_cpu_user_seconds_total/)
  const missing = await app.inject('/nope')
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().error.code, 'NOT_FOUND')
})

t.test('a card on the deny list is denied; a blocked card is blocked, denied or not', async (t) => {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  const issuer = createTestIssuer()
  const app = await buildApp({
    logger: createLogger({ level: 'silent', name: 'api-test' }),
    db: database.db,
    registry: createMetricsRegistry('api'),
    jwtPublicKeyPem: issuer.publicKeyPem,
  })
  t.teardown(() => app.close())
  const status = async (card: string) =>
    (await app.inject({ method: 'GET', url: `/v1/cards/${card}/balance`, headers: { authorization: `Bearer ${issuer.adminToken()}` } })).json().status as string

  const { db } = database
  for (const card of ['ct_denied_0001', 'ct_blocked_001', 'ct_active_0001'])
    await db.transaction().execute((trx) => openCard(trx, { cardToken: card, currency: 'UAH' }))
  t.equal(await status('ct_denied_0001'), 'active', 'a new card with no balance is not yet on the list')
  // What the ledger does after a charge: the deny-list check with the card's highest fare.
  const checks = ['ct_denied_0001', 'ct_blocked_001'].map((cardToken) => ({
    cardToken,
    maxRideAmount: parseAmount('18.00'),
    creditAllowance: parseAmount('0'),
  }))
  const update = await db.transaction().execute((trx) => refreshDenyList(trx, checks))
  t.same(update.added.sort(), ['ct_blocked_001', 'ct_denied_0001'])
  await db.updateTable('cards').set({ status: 'blocked' }).where('card_token', '=', 'ct_blocked_001').execute()

  t.equal(await status('ct_denied_0001'), 'denied')
  t.equal(await status('ct_blocked_001'), 'blocked', 'blocked wins over denied')
  t.equal(await status('ct_active_0001'), 'active')
})
