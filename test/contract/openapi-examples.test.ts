/**
 * Every /v1 operation in the api and ingest OpenAPI documents (/docs/json)
 * shows an example for its request body and for each 2xx answer with a body,
 * and each example is valid against the schema the document gives beside it.
 * A new route without an example, or an example its schema refuses, fails here.
 */

import { parseTapInput } from '@fare/contracts'
import { Ajv } from 'ajv'
import t from 'tap'
import { startEdgeStack } from '../validator/support.ts'

interface MediaType {
  schema?: { example?: unknown; examples?: unknown[] } & Record<string, unknown>
  example?: unknown
  examples?: Record<string, { value?: unknown }>
}
interface Operation {
  requestBody?: { content?: Record<string, MediaType> }
  responses?: Record<string, { content?: Record<string, MediaType> }>
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>
}

/** Every way @fastify/swagger may show an example: on the media type (one or named) or on its schema. */
function examplesOf(media: MediaType): unknown[] {
  return [
    ...(media.example !== undefined ? [media.example] : []),
    ...Object.values(media.examples ?? {}).map((named) => named.value),
    ...(media.schema?.example !== undefined ? [media.schema.example] : []),
    ...(media.schema?.examples ?? []),
  ]
}

// The document's schemas are OpenAPI 3.0 (`nullable`, `example`): not strict JSON Schema.
const ajv = new Ajv({ strict: false, allErrors: true })

const stack = await startEdgeStack('openapi-examples')
t.teardown(() => stack.close())

for (const [service, app] of [
  ['api', stack.api],
  ['ingest', stack.ingest],
] as const) {
  const res = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(res.statusCode, 200, `${service} serves its OpenAPI document`)
  const document = res.json() as OpenApiDocument
  const operations = Object.entries(document.paths)
    .filter(([path]) => path.startsWith('/v1/'))
    .flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ name: `${service} ${method.toUpperCase()} ${path}`, operation })))
  t.ok(operations.length > 0, `${service} documents /v1 operations`)

  for (const { name, operation } of operations) {
    const bodies = [
      ...Object.entries(operation.requestBody?.content ?? {}).map(([type, media]) => ({ what: `request body (${type})`, media })),
      ...Object.entries(operation.responses ?? {})
        .filter(([status]) => status.startsWith('2'))
        .flatMap(([status, response]) => Object.entries(response.content ?? {}).map(([type, media]) => ({ what: `${status} response (${type})`, media }))),
    ]
    for (const { what, media } of bodies) {
      const examples = examplesOf(media)
      t.ok(examples.length > 0, `${name}: the ${what} has an example`)
      if (!media.schema) continue
      const validate = ajv.compile(media.schema)
      for (const example of examples) {
        t.ok(validate(example), `${name}: the ${what} example is valid against its schema`, { errors: validate.errors })
      }
    }
  }
}

t.test('the tap upload example holds taps POST /v1/taps accepts', async (t) => {
  // The batch schema leaves each tap unchecked (each is read on its own), so the example's taps are read as ingest reads them.
  const res = await stack.ingest.inject({ method: 'GET', url: '/docs/json' })
  const media = (res.json() as OpenApiDocument).paths['/v1/taps']?.post?.requestBody?.content?.['application/json']
  const examples = media ? (examplesOf(media) as { taps: unknown[] }[]) : []
  t.ok(examples.length > 0)
  for (const tap of examples.flatMap((example) => example.taps)) {
    const parsed = parseTapInput(tap)
    t.ok(parsed.ok, JSON.stringify(tap), { error: parsed.ok ? undefined : parsed.error })
  }
})
