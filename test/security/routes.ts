/**
 * Every route a Fastify app serves, read from its router (printRoutes), so a
 * test that walks them covers a route added tomorrow without being edited.
 */
import type { FastifyInstance } from 'fastify'
import { SESSION_COOKIE } from '../../services/api/src/dashboard/session.ts'

export interface RouteEntry {
  method: string
  /** The path as registered, with `:param` and `*` placeholders. */
  path: string
}

/** Parses printRoutes' tree: each line is a segment under its parent, with its methods. */
export function listRoutes(app: FastifyInstance): RouteEntry[] {
  const routes: RouteEntry[] = []
  const prefixes: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line)
    if (!match) continue
    const depth = (match[1] ?? '').length / 4
    const path = (prefixes[depth - 1] ?? '') + (match[2] ?? '')
    prefixes[depth] = path
    prefixes.length = depth + 1
    for (const method of (match[3] ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean))
      routes.push({ method, path })
  }
  if (routes.length === 0) throw new Error('no routes parsed from printRoutes')
  return routes
}

/** A concrete URL for a route: each `:param` replaced by its sample value (a missing sample fails the test that walks). */
export function concreteUrl(route: RouteEntry, samples: Record<string, string>): string {
  return route.path
    .replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
      const value = samples[name]
      if (value === undefined) throw new Error(`no sample value for :${name} in ${route.method} ${route.path}; add one to the test`)
      return encodeURIComponent(value)
    })
    .replace(/\*$/, 'anything')
}

/** How a route takes a token: the dashboard's pages from their session cookie (the api's dashboard/session.ts), every other route as a bearer. */
export function tokenHeaders(route: RouteEntry, token: string): Record<string, string> {
  return route.path.startsWith('/dashboard') ? { cookie: `${SESSION_COOKIE}=${token}` } : { authorization: `Bearer ${token}` }
}

/** The error code of a refusal: `error.code` of a JSON answer, or the `data-code` a dashboard page shows. */
export function errorCode(res: { headers: Record<string, unknown>; body: string }): string | undefined {
  if (String(res.headers['content-type'] ?? '').startsWith('text/html')) return /data-code="([A-Z_]+)"/.exec(res.body)?.[1]
  return (JSON.parse(res.body) as { error?: { code?: string } }).error?.code
}
