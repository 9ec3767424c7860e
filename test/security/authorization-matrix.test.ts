/**
 * The authorization matrix: every role against every route of the api and
 * ingest, on its own data and on someone else's. The routes come from each
 * app's router, and each must have a row in ACCESS below: a route added
 * without deciding who may call it fails here, as does a row whose route is
 * gone. (authorization.test.ts walks the same routes with forged and
 * ill-shaped tokens.)
 *
 * "Served" means the request got past authorization: a GET answers 200; a
 * write answers what its handler decides (the empty body sent here is a 400
 * from validation, which runs after authorization), never 401, 403 or a
 * visibility 404. "Refused" is the route's own refusal: 403 for a role a
 * route is not for, or the same 404 as an unknown card on card reads, so a
 * card token cannot be probed.
 */

import { openCard } from '@fare/bookkeeping'
import { readFeedFolder, saveDraft, saveTariffVersion } from '@fare/tariffs'
import t from 'tap'
import { DEMO_TARIFF_FOLDER } from '../support/stack.ts'
import { AUDIENCE, OPERATOR, startEdgeStack } from '../validator/support.ts'
import { concreteUrl, errorCode, listRoutes, type RouteEntry, tokenHeaders } from './routes.ts'

const ROLES = ['admin', 'operator', 'rider', 'kiosk', 'validator'] as const
type Role = (typeof ROLES)[number]
/** all: served on anyone's data; own: served on its own, refused on another's; none: refused. */
type Access = 'all' | 'own' | 'none'

interface Row {
  readonly access: Readonly<Record<Role, Access>>
  /** How this route refuses: 404 CARD_NOT_FOUND on card reads, 403 elsewhere. */
  readonly refusal: 403 | 404
}

const adminOnly: Row = { access: { admin: 'all', operator: 'none', rider: 'none', kiosk: 'none', validator: 'none' }, refusal: 403 }
const cardRead: Row = { access: { admin: 'all', operator: 'none', rider: 'own', kiosk: 'none', validator: 'none' }, refusal: 404 }
/** Operators see their own operator's figures (another's is 403), admins everyone's. */
const reportRead: Row = { access: { admin: 'all', operator: 'own', rider: 'none', kiosk: 'none', validator: 'none' }, refusal: 403 }
const validatorOnly: Row = { access: { admin: 'none', operator: 'none', rider: 'none', kiosk: 'none', validator: 'all' }, refusal: 403 }

/** Routes that need no token, on purpose. */
const PUBLIC = new Set([
  'api GET /healthz',
  'api GET /readyz',
  'api GET /metrics',
  'api POST /v1/auth/device-token',
  // The dashboard's sign-in form, its sign-in and sign-out, and its script, style and icon.
  'api GET /dashboard',
  'api POST /dashboard/sign-in',
  'api POST /dashboard/sign-out',
  'api GET /dashboard/assets/:file',
  'ingest GET /healthz',
  'ingest GET /readyz',
  'ingest GET /metrics',
])

const ACCESS: Record<string, Row> = {
  'api GET /v1/cards/:cardToken/balance': { ...cardRead, access: { ...cardRead.access, kiosk: 'all' } },
  'api GET /v1/cards/:cardToken/trips': cardRead,
  'api GET /v1/cards/:cardToken/statement': cardRead,
  'api POST /v1/cards': adminOnly,
  'api PUT /v1/cards/:cardToken/category': adminOnly,
  'api POST /v1/cards/:cardToken/block': adminOnly,
  'api POST /v1/cards/:cardToken/unblock': adminOnly,
  'api POST /v1/cards/:cardToken/replace': adminOnly,
  'api POST /v1/accounts/:id/top-ups': adminOnly,
  'api POST /v1/accounts/:id/refunds': adminOnly,
  'api POST /v1/accounts/:id/adjustments': adminOnly,
  'api GET /v1/devices': adminOnly,
  'api GET /v1/reports/ridership': reportRead,
  'api GET /v1/reports/revenue': reportRead,
  'api GET /v1/reports/concessions': reportRead,
  'api GET /v1/reports/caps': reportRead,
  'api GET /v1/reports/operator-statement': reportRead,
  'api GET /v1/reports/reconciliation': reportRead,
  'api GET /v1/reports/data-quality': reportRead,
  'api GET /v1/exports/tides': reportRead,
  // The dashboard's month page and CSV downloads: the same reports, the token from the session cookie.
  'api GET /dashboard/view': reportRead,
  'api GET /dashboard/csv/:report': reportRead,
  'api GET /v1/tariffs/drafts': adminOnly,
  'api POST /v1/tariffs/drafts': adminOnly,
  'api GET /v1/tariffs/drafts/:draftId': adminOnly,
  'api POST /v1/tariffs/drafts/:draftId/simulations': adminOnly,
  'api POST /v1/tariffs/drafts/:draftId/activation': adminOnly,
  'api POST /v1/devices': adminOnly,
  'api GET /v1/devices/:id': adminOnly,
  'api POST /v1/devices/:id/revoke': adminOnly,
  'ingest POST /v1/taps': validatorOnly,
  'ingest GET /v1/deny-list': validatorOnly,
  'ingest GET /v1/tariff': validatorOnly,
  'ingest GET /v1/tariff/:version/feed': validatorOnly,
}

const stack = await startEdgeStack('authz-matrix', { ingest: { rateLimitPerMinute: 1_000_000 }, api: { rateLimitPerMinute: 1_000_000 } })
t.teardown(() => stack.close())
const { issuer, database } = stack

const OWN_CARD = 'ct_matrix_own_0001'
const OTHER_CARD = 'ct_matrix_other_0001'
const ownAccount = await database.db.transaction().execute((trx) => openCard(trx, { cardToken: OWN_CARD, currency: 'UAH', riderId: 'rider-owner' }))
const otherAccount = await database.db.transaction().execute((trx) => openCard(trx, { cardToken: OTHER_CARD, currency: 'UAH', riderId: 'rider-other' }))
// The validator's own device, and two for the device routes (one is revoked by the walk).
for (const id of ['val-matrix-1', 'val-matrix-2', 'val-matrix-3']) await stack.registerDevice(id)
const version = await saveTariffVersion(database.db, { name: 'matrix', effectiveFrom: '2026-01-01T00:00:00Z', files: readFeedFolder(DEMO_TARIFF_FOLDER) })
const draft = await saveDraft(database.db, { name: 'matrix', files: readFeedFolder(DEMO_TARIFF_FOLDER), uploadedBy: 'admin-1' })

/**
 * Reports name their data in the query: the range (the dashboard: a month), and for someone else's, another operator.
 * An operator statement is one operator's books: on "own" data it names the operator (an admin must; an operator may).
 */
function reportQuery(route: RouteEntry, whose: 'own' | 'other'): string {
  const other = whose === 'other' ? '&operator=someone-else' : ''
  if (route.path.startsWith('/dashboard/')) return `?month=2026-11${other}`
  if (!route.path.startsWith('/v1/reports/') && !route.path.startsWith('/v1/exports/')) return ''
  const own = route.path === '/v1/reports/operator-statement' ? `&operator=${OPERATOR}` : ''
  return `?from=2026-11-01&to=2026-12-01${whose === 'other' ? other : own}`
}

/** Path parameters naming the caller's own data, and someone else's (`:id` is a device under /v1/devices, else an account). */
function samples(route: RouteEntry, whose: 'own' | 'other'): Record<string, string> {
  const devices = route.path.startsWith('/v1/devices')
  if (whose === 'own') return { cardToken: OWN_CARD, id: devices ? 'val-matrix-2' : ownAccount, version, draftId: draft.id, report: 'ridership' }
  return { cardToken: OTHER_CARD, id: devices ? 'val-matrix-3' : otherAccount, version, draftId: draft.id, report: 'ridership' }
}

function tokenFor(role: Role | 'unknown role', audience: string): string {
  switch (role) {
    case 'admin':
      return issuer.sign({ sub: 'admin-1', role: 'admin' }, audience)
    case 'operator':
      return issuer.sign({ sub: 'op-user-1', role: 'operator', operator_id: OPERATOR }, audience)
    case 'rider':
      return issuer.sign({ sub: 'rider-owner', role: 'rider' }, audience)
    case 'kiosk':
      return issuer.sign({ sub: 'kiosk-1', role: 'device', operator_id: OPERATOR, scope: 'balance:read' }, audience)
    case 'validator':
      return issuer.sign({ sub: 'val-matrix-1', role: 'device', operator_id: OPERATOR, scope: 'taps:write denylist:read tariff:read' }, audience)
    case 'unknown role':
      return issuer.sign({ sub: 'someone', role: 'auditor' } as never, audience)
  }
}

const services = [
  { name: 'api', app: stack.api, audience: AUDIENCE.api },
  { name: 'ingest', app: stack.ingest, audience: AUDIENCE.ingest },
]
const isDocs = (route: RouteEntry) => route.path === '/docs' || route.path.startsWith('/docs/')
const keyOf = (service: string, route: RouteEntry) => `${service} ${route.method} ${route.path}`
const seen = new Set<string>()

for (const service of services) {
  const routes = listRoutes(service.app).filter((r) => !isDocs(r) && r.method !== 'HEAD')

  t.test(`${service.name}: every route has a row in the matrix`, async (t) => {
    for (const route of routes) {
      const key = keyOf(service.name, route)
      seen.add(key)
      t.ok(PUBLIC.has(key) || ACCESS[key], `${key} has a row in ACCESS (or is listed as PUBLIC)`)
    }
  })

  for (const route of routes) {
    const key = keyOf(service.name, route)
    const row = ACCESS[key]
    if (!row) continue
    t.test(key, async (t) => {
      const call = (token: string | undefined, whose: 'own' | 'other') =>
        service.app.inject({
          method: route.method as 'GET',
          url: concreteUrl(route, samples(route, whose)) + reportQuery(route, whose),
          headers: { ...(token ? tokenHeaders(route, token) : {}), ...(route.method === 'GET' ? {} : { 'content-type': 'application/json' }) },
          ...(route.method === 'GET' ? {} : { payload: '{}' }),
        })
      for (const whose of ['own', 'other'] as const) {
        t.equal((await call(undefined, whose)).statusCode, 401, `no token, ${whose} data: 401`)
        const unknown = await call(tokenFor('unknown role', service.audience), whose)
        t.equal(unknown.statusCode, 401, `unknown role, ${whose} data: 401`)
        for (const role of ROLES) {
          const access = row.access[role]
          const served = access === 'all' || (access === 'own' && whose === 'own')
          const res = await call(tokenFor(role, service.audience), whose)
          const where = `${role}, ${whose} data (${res.statusCode} ${res.body.slice(0, 120)})`
          if (served) {
            if (route.method === 'GET') t.equal(res.statusCode, 200, `${where}: served`)
            else t.ok(![401, 403, 404].includes(res.statusCode), `${where}: served`)
          } else {
            t.equal(res.statusCode, row.refusal, `${where}: refused with ${row.refusal}`)
            if (row.refusal === 404) t.equal(errorCode(res), 'CARD_NOT_FOUND', `${where}: as an unknown card`)
          }
        }
      }
    })
  }
}

t.test('every row of the matrix names a route that exists', async (t) => {
  for (const key of [...Object.keys(ACCESS), ...PUBLIC]) t.ok(seen.has(key), `${key} is served`)
})
