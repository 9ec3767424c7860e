/**
 * Authorization fails closed on every route of ingest and api. The routes are
 * read from each app's router, so a route added later is walked too. Tokens
 * whose claims are not a shape the backend issues (an unknown role, a role
 * that is an array or missing, a malformed or unknown scope) are 401
 * TOKEN_INVALID wherever a token is read, like forged ones (another audience,
 * alg none); valid tokens of the wrong role or scope are never served.
 */

import type { AccessClaims } from '@fare/auth'
import { openCard } from '@fare/bookkeeping'
import { readFeedFolder, saveDraft, saveTariffVersion } from '@fare/tariffs'
import t from 'tap'
import { DEMO_TARIFF_FOLDER } from '../support/stack.ts'
import { AUDIENCE, OPERATOR, startEdgeStack } from '../validator/support.ts'
import { concreteUrl, errorCode, listRoutes, type RouteEntry, tokenHeaders } from './routes.ts'

// Both limits out of the way: the walk sends more requests per minute, from one address, than either allows by default.
const stack = await startEdgeStack('authz', { ingest: { rateLimitPerMinute: 1_000_000 }, api: { rateLimitPerMinute: 1_000_000 } })
t.teardown(() => stack.close())
const { issuer, database } = stack

const CARD = 'ct_walk_card_0001'
await database.db.transaction().execute((trx) => openCard(trx, { cardToken: CARD, currency: 'UAH', riderId: 'rider-owner', riderCategoryId: 'adult' }))
await stack.registerDevice('val-walk-1')
const tariff = await saveTariffVersion(database.db, { name: 'walk', effectiveFrom: '2026-01-01T00:00:00Z', files: readFeedFolder(DEMO_TARIFF_FOLDER) })
const draft = await saveDraft(database.db, { name: 'walk', files: readFeedFolder(DEMO_TARIFF_FOLDER), uploadedBy: 'admin-1' })
const SAMPLES = { cardToken: CARD, id: 'val-walk-1', version: tariff, draftId: draft.id, report: 'ridership' }

const ALL_SCOPES = 'taps:write denylist:read tariff:read balance:read'
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const nowSeconds = () => Math.floor(Date.now() / 1000)
const forge = (claims: Record<string, unknown>, audience: string) => issuer.sign(claims as unknown as AccessClaims, audience)
const unsigned = (claims: Record<string, unknown>, audience: string) =>
  `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iss: 'fare-auth', aud: audience, iat: nowSeconds(), exp: nowSeconds() + 300 })}.`

/** Tokens that must be 401 TOKEN_INVALID on every protected route of the service with this audience. */
function invalidTokens(audience: string, otherAudience: string): Record<string, string> {
  return {
    'unknown role': forge({ sub: 'admin-1', role: 'auditor', scope: ALL_SCOPES }, audience),
    'array role': forge({ sub: 'admin-1', role: ['admin'], scope: ALL_SCOPES }, audience),
    'numeric role': forge({ sub: 'admin-1', role: 1 }, audience),
    'missing role': forge({ sub: 'admin-1', scope: ALL_SCOPES }, audience),
    'scope as an array': forge({ sub: 'val-walk-1', role: 'device', operator_id: OPERATOR, scope: ALL_SCOPES.split(' ') }, audience),
    'unknown scope': forge({ sub: 'val-walk-1', role: 'device', operator_id: OPERATOR, scope: `${ALL_SCOPES} admin:all` }, audience),
    'wildcard scope': forge({ sub: 'val-walk-1', role: 'device', operator_id: OPERATOR, scope: '*' }, audience),
    'device without operator': forge({ sub: 'val-walk-1', role: 'device', scope: ALL_SCOPES }, audience),
    'subject with a NUL byte': forge({ sub: 'admin\u00001', role: 'admin' }, audience),
    'subject not a string': forge({ sub: 42, role: 'admin' }, audience),
    'admin for another audience': forge({ sub: 'admin-1', role: 'admin' }, otherAudience),
    'device for another audience': forge({ sub: 'val-walk-1', role: 'device', operator_id: OPERATOR, scope: ALL_SCOPES }, otherAudience),
    'alg none admin': unsigned({ sub: 'admin-1', role: 'admin' }, audience),
    'alg none device': unsigned({ sub: 'val-walk-1', role: 'device', operator_id: OPERATOR, scope: ALL_SCOPES }, audience),
    garbage: 'not.a.jwt',
  }
}

/** Well-formed tokens that still must not be served (403 or 404, never 2xx). */
function unauthorisedTokens(audience: string, wrongDeviceScope: string): Record<string, string> {
  return {
    'device without scope': forge({ sub: 'val-walk-1', role: 'device', operator_id: OPERATOR }, audience),
    'device with the wrong scope': forge({ sub: 'val-walk-1', role: 'device', operator_id: OPERATOR, scope: wrongDeviceScope }, audience),
    'operator with every scope': forge({ sub: 'op-user-1', role: 'operator', operator_id: OPERATOR, scope: ALL_SCOPES }, audience),
    'rider with every scope': forge({ sub: 'rider-stranger', role: 'rider', scope: ALL_SCOPES }, audience),
    ...(audience === AUDIENCE.ingest ? { 'admin with every scope': forge({ sub: 'admin-1', role: 'admin', scope: ALL_SCOPES }, audience) } : {}),
  }
}

/**
 * Reports, exports and the dashboard's pages serve an operator's token its own operator's figures
 * (authorization-matrix.test.ts), and take their range in the query (the dashboard: a month); the
 * operator statement is one operator's, so it names it.
 */
const isReport = (route: RouteEntry) => route.path.startsWith('/v1/reports/') || route.path.startsWith('/v1/exports/') || route.path.startsWith('/dashboard/')
const reportQuery = (route: RouteEntry) => {
  if (route.path.startsWith('/dashboard/')) return '?month=2026-11'
  return isReport(route) ? `?from=2026-11-01&to=2026-12-01${route.path === '/v1/reports/operator-statement' ? `&operator=${OPERATOR}` : ''}` : ''
}

const isPublic = (route: RouteEntry) =>
  route.path === '/docs' ||
  route.path.startsWith('/docs/') ||
  ['/healthz', '/readyz', '/metrics'].includes(route.path) ||
  (route.method === 'POST' && route.path === '/v1/auth/device-token') ||
  // The dashboard's sign-in form, sign-in, sign-out and static files (its pages and downloads are walked, with the token as their cookie).
  ['/dashboard', '/dashboard/sign-in', '/dashboard/sign-out', '/dashboard/assets/:file'].includes(route.path)

const services = [
  {
    name: 'api',
    app: stack.api,
    audience: AUDIENCE.api,
    other: AUDIENCE.ingest,
    wrongScope: 'taps:write denylist:read tariff:read',
    legit: issuer.adminToken(),
  },
  {
    name: 'ingest',
    app: stack.ingest,
    audience: AUDIENCE.ingest,
    other: AUDIENCE.api,
    wrongScope: 'balance:read',
    legit: issuer.deviceToken('val-walk-1', OPERATOR, ALL_SCOPES),
  },
]

for (const service of services) {
  t.test(`${service.name}: every protected route refuses forged and ill-shaped tokens, and serves no wrong role or scope`, async (t) => {
    const routes = listRoutes(service.app)
    const protectedRoutes = routes.filter((r) => !isPublic(r))
    t.ok(protectedRoutes.length >= 3, `protected routes found: ${protectedRoutes.map((r) => `${r.method} ${r.path}`).join(', ')}`)
    const call = (route: RouteEntry, token: string) =>
      service.app.inject({
        method: route.method as 'GET',
        url: concreteUrl(route, SAMPLES) + reportQuery(route),
        headers: { ...tokenHeaders(route, token), ...(route.method === 'POST' ? { 'content-type': 'application/json' } : {}) },
        ...(route.method === 'POST' ? { payload: '{}' } : {}),
      })
    for (const route of protectedRoutes) {
      const where = `${route.method} ${route.path}`
      const anonymous = await service.app.inject({ method: route.method as 'GET', url: concreteUrl(route, SAMPLES) + reportQuery(route) })
      t.equal(anonymous.statusCode, 401, `${where}: no token`)
      for (const [name, token] of Object.entries(invalidTokens(service.audience, service.other))) {
        const res = await call(route, token)
        t.equal(res.statusCode, 401, `${where}: ${name}`)
        if (route.method !== 'HEAD') t.equal(errorCode(res), 'TOKEN_INVALID', `${where}: ${name}`)
      }
      for (const [name, token] of Object.entries(unauthorisedTokens(service.audience, service.wrongScope))) {
        // An operator is served here, its scope claim (meaningless for an operator) notwithstanding.
        if (name.startsWith('operator') && isReport(route)) continue
        const res = await call(route, token)
        t.ok([403, 404].includes(res.statusCode), `${where}: ${name} is refused (got ${res.statusCode})`)
      }
      // The walk means something only if the right token is served on the same URL.
      if (route.method === 'GET') t.equal((await call(route, service.legit)).statusCode, 200, `${where}: the right token is served`)
    }
  })
}
