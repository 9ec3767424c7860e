/**
 * /dashboard: the operators' staff's page of a month's figures
 * (docs/dashboard.md). Server-rendered: the sign-in form posts the operator's
 * access token once, the api keeps it in an HttpOnly cookie (session.ts), and
 * each page runs the same report functions as /v1/reports, under the same
 * operator scoping, and renders their figures. CSV downloads are served here
 * too, with the cookie, so the /v1/reports routes stay bearer-only.
 */
import type { AccessClaims } from '@fare/auth'
import type { Db } from '@fare/db'
import { RouteNotFound } from '@fare/platform'
import { serviceTimeOf, type TariffBook } from '@fare/tariffs'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { DashboardOriginForbidden } from '../errors.ts'
import { reportContext } from '../reports/context.ts'
import { monthRange, ReportQueryFields } from '../reports/range.ts'
import { sendReport } from '../reports/respond.ts'
import { reportOperator } from '../reports/scope.ts'
import { loadAssets } from './assets.ts'
import { errorPage, monthPage, type Problem, signInPage } from './pages.ts'
import { findPanel, PANELS } from './panels.ts'
import { dashboardUser, endSession, sessionToken, startSession } from './session.ts'

export interface DashboardOptions {
  readonly db: Db
  readonly tariffs: TariffBook
  readonly now: () => Date
}

/**
 * Scripts, styles and images from this api only; no inline script or style
 * (the chart figures are JSON in a non-executable element); forms post back
 * here only; never framed.
 */
const CONTENT_SECURITY_POLICY = "default-src 'self'; base-uri 'none'; object-src 'none'; form-action 'self'; frame-ancestors 'none'"

const MonthQuery = Type.Object(
  {
    month: Type.Optional(Type.String({ minLength: 7, maxLength: 7, description: "YYYY-MM; default: the current service day's month" })),
    operator: ReportQueryFields.operator,
  },
  { additionalProperties: false },
)

const SignInBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 8192 }) }, { additionalProperties: false })

function sendHtml(reply: FastifyReply, status: number, page: string): FastifyReply {
  return reply.status(status).type('text/html; charset=utf-8').send(page)
}

/** A form post from another site is refused: with SameSite=Strict the cookie is safe, this also stops signing a browser in as someone else. */
function sameOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin
  if (origin === undefined) return
  let host: string | undefined
  try {
    host = new URL(origin).host
  } catch {
    host = undefined
  }
  if (host !== request.host) throw new DashboardOriginForbidden()
}

export const dashboardRoutes: FastifyPluginAsync<DashboardOptions> = async (plugin, options) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>()
  const assets = loadAssets()

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })

  app.addHook('onSend', async (request, reply) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY)
    reply.header('x-content-type-options', 'nosniff')
    // Not no-referrer: under it a browser posts forms with `Origin: null`, and sameOrigin() could not tell our forms from others'.
    reply.header('referrer-policy', 'same-origin')
    // Pages and downloads hold an operator's figures: never kept by a shared cache or the back button of the next user.
    if (!request.url.startsWith('/dashboard/assets/')) reply.header('cache-control', 'no-store')
  })

  // Errors as pages, not JSON: a browser shows them. 401 is the sign-in form again.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode ?? 500
    if (status >= 500) request.log.error({ err }, 'dashboard request failed')
    const problem: Problem =
      status >= 500
        ? { code: 'INTERNAL', message: 'internal error' }
        : { code: err.code?.startsWith('FST_') ? 'REQUEST_INVALID' : (err.code ?? 'REQUEST_INVALID'), message: err.message }
    if (status === 401 && sessionToken(request) !== undefined) endSession(request, reply)
    if (status === 401 || request.routeOptions.url === '/dashboard/sign-in') return sendHtml(reply, status, signInPage(problem))
    return sendHtml(reply, status, errorPage(problem, status !== 403))
  })

  const signedIn = (request: FastifyRequest): AccessClaims => dashboardUser(plugin, sessionToken(request))
  const hidden = { hide: true }

  app.get('/dashboard', { schema: hidden }, async (request, reply) => {
    // Signed in already: straight to the figures.
    if (sessionToken(request) !== undefined) {
      try {
        signedIn(request)
        return reply.redirect('/dashboard/view', 303)
      } catch {
        // an expired or refused session: the form, to sign in again
      }
    }
    return sendHtml(reply, 200, signInPage())
  })

  app.post('/dashboard/sign-in', { schema: { ...hidden, body: SignInBody } }, async (request, reply) => {
    sameOrigin(request)
    const token = request.body.token.trim()
    const user = dashboardUser(plugin, token)
    startSession(request, reply, token, user)
    return reply.redirect('/dashboard/view', 303)
  })

  app.post('/dashboard/sign-out', { schema: hidden }, async (request, reply) => {
    sameOrigin(request)
    endSession(request, reply)
    return reply.redirect('/dashboard', 303)
  })

  /** The month asked for, else the month of the current service day in the agency's time zone. */
  async function chosenMonth(month: string | undefined): Promise<string> {
    if (month !== undefined) return month
    await options.tariffs.refresh(options.db)
    const nowMs = options.now().getTime()
    const version = options.tariffs.at(nowMs) ?? options.tariffs.at(Number.MAX_SAFE_INTEGER)
    return (version ? serviceTimeOf(version.tariff, nowMs).day : options.now().toISOString()).slice(0, 7)
  }

  async function monthContext(user: AccessClaims, query: { month?: string; operator?: string }) {
    const operator = reportOperator(user, query.operator)
    const month = await chosenMonth(query.month)
    return { month, ctx: await reportContext(options.db, options.tariffs, monthRange(month), operator) }
  }

  app.get('/dashboard/view', { schema: { ...hidden, querystring: MonthQuery } }, async (request, reply) => {
    const user = signedIn(request)
    const { month, ctx } = await monthContext(user, request.query)
    const panels = []
    for (const panel of PANELS) panels.push({ panel, report: await panel.run(ctx, month) })
    return sendHtml(reply, 200, monthPage({ user, month, operator: ctx.operator, timeZone: ctx.timeZone, currency: ctx.currency, panels }))
  })

  app.get(
    '/dashboard/csv/:report',
    { schema: { ...hidden, params: Type.Object({ report: Type.String({ maxLength: 64 }) }), querystring: MonthQuery } },
    async (request, reply) => {
      const user = signedIn(request)
      const panel = findPanel(request.params.report)
      if (!panel) throw new RouteNotFound(request.method, request.url.split('?')[0])
      const { month, ctx } = await monthContext(user, request.query)
      return sendReport(request, reply, 'csv', await panel.run(ctx, month))
    },
  )

  app.get('/dashboard/assets/:file', { schema: { ...hidden, params: Type.Object({ file: Type.String({ maxLength: 64 }) }) } }, async (request, reply) => {
    const asset = assets.get(request.params.file)
    if (!asset) throw new RouteNotFound(request.method, request.url.split('?')[0])
    return reply.type(asset.contentType).header('cache-control', 'public, max-age=300').send(asset.body)
  })
}
