/**
 * Which reports `pnpm bench:reports` measures: every GET under /v1/reports/
 * the api serves, read from its OpenAPI document, so a report added on
 * another branch is measured without editing the bench. A report with an
 * enumerated query field of its own (ridership's groupBy) is measured once
 * per value; format is left to JSON. The TIDES export (/v1/exports/tides) is
 * measured apart, for rows per second and memory.
 */
import type { FastifyInstance } from 'fastify'

export interface ReportVariant {
  readonly path: string
  /** Query fields beside from, to and operator. */
  readonly query: Readonly<Record<string, string>>
  /** e.g. "ridership groupBy=route". */
  readonly label: string
}

interface Parameter {
  readonly name: string
  readonly in: string
  readonly required?: boolean
  readonly schema?: Schema
}
interface Schema {
  readonly enum?: readonly unknown[]
  readonly const?: unknown
  readonly anyOf?: readonly Schema[]
}

const COMMON = new Set(['from', 'to', 'operator', 'format'])
export const TIDES_PATH = '/v1/exports/tides'

/** The values an enumerated field takes (TypeBox's union of literals is anyOf of one-value enums). */
function enumValues(schema: Schema | undefined): string[] {
  if (!schema) return []
  if (schema.enum) return schema.enum.map(String)
  if (schema.const !== undefined) return [String(schema.const)]
  return (schema.anyOf ?? []).flatMap(enumValues)
}

/** The OpenAPI document's paths, as far as the bench reads them. */
function paths(app: FastifyInstance): Record<string, { get?: { parameters?: Parameter[] } }> {
  return (app.swagger() as unknown as { paths: Record<string, { get?: { parameters?: Parameter[] } }> }).paths
}

export function reportVariants(app: FastifyInstance): ReportVariant[] {
  const variants: ReportVariant[] = []
  for (const [path, item] of Object.entries(paths(app)).sort(([a], [b]) => a.localeCompare(b))) {
    if (!path.startsWith('/v1/reports/') || !item.get) continue
    const name = path.slice('/v1/reports/'.length)
    const own = (item.get.parameters ?? []).filter((p) => p.in === 'query' && !COMMON.has(p.name))
    const enumerated = own.find((p) => enumValues(p.schema).length > 0)
    const unknownRequired = own.filter((p) => p.required && p !== enumerated)
    if (unknownRequired.length > 0) {
      console.log(`  ${path}: required query fields ${unknownRequired.map((p) => p.name).join(', ')} the bench cannot fill; not measured`)
      continue
    }
    if (!enumerated) variants.push({ path, query: {}, label: name })
    else
      for (const value of enumValues(enumerated.schema))
        variants.push({ path, query: { [enumerated.name]: value }, label: `${name} ${enumerated.name}=${value}` })
  }
  return variants
}

export function servesTides(app: FastifyInstance): boolean {
  return TIDES_PATH in paths(app)
}
