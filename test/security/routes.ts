/**
 * Every route a Fastify app serves, read from its router (printRoutes), so a
 * test that walks them covers a route added tomorrow without being edited.
 */
import type { FastifyInstance } from 'fastify'

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
