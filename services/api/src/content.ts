/**
 * Content negotiation for the routes that answer JSON or CSV (statements,
 * reports): `format=csv|json` wins, else the Accept header's preference.
 */
import type { FastifyRequest } from 'fastify'
import { NotAcceptable } from './errors.ts'

const OFFERED = ['application/json', 'text/csv'] as const
type Offered = (typeof OFFERED)[number]

/** The offered type the Accept header prefers (by q, then by its order); JSON without a header. */
function negotiate(accept: string | undefined): Offered | undefined {
  if (accept === undefined || accept.trim() === '') return 'application/json'
  let best: { type: Offered; q: number; order: number } | undefined
  accept.split(',').forEach((part, order) => {
    const [range = '', ...params] = part
      .trim()
      .toLowerCase()
      .split(';')
      .map((p) => p.trim())
    const qParam = params.find((p) => p.startsWith('q='))
    const q = qParam === undefined ? 1 : Number(qParam.slice(2))
    if (!(q > 0)) return
    for (const type of OFFERED) {
      const matches = range === type || range === '*/*' || range === `${type.split('/')[0]}/*`
      // An exact range outranks a wildcard of the same q (RFC 9110 section 12.5.1).
      const specificity = range === type ? 0 : 0.5
      if (matches && (!best || q > best.q || (q === best.q && order + specificity < best.order))) best = { type, q, order: order + specificity }
    }
  })
  return best?.type
}

export function wantsCsv(request: FastifyRequest, format: 'json' | 'csv' | undefined): boolean {
  if (format !== undefined) return format === 'csv'
  const chosen = negotiate(request.headers.accept)
  if (!chosen) throw new NotAcceptable(OFFERED.join(' or '))
  return chosen === 'text/csv'
}
