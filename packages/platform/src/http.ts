/**
 * What every Fastify service shares: one error shape with stable codes,
 * health and readiness, and the metrics endpoint.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { MetricsSource } from './cluster-metrics.ts'

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown }
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } }
}

export interface ErrorHandlingOptions {
  /** Code for a body over the size limit (ingest says BATCH_TOO_LARGE). */
  bodyTooLargeCode?: string
}

/** Fastify's own errors, mapped to the stable codes of API.md. */
function fromFastifyError(err: FastifyError, options: ErrorHandlingOptions): { status: number; body: ErrorBody } | undefined {
  if (err.validation) {
    return { status: 400, body: errorBody('REQUEST_INVALID', `${err.validationContext ?? 'request'}${err.validation[0]?.instancePath ?? ''} ${err.validation[0]?.message ?? 'is invalid'}`) }
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: errorBody(options.bodyTooLargeCode ?? 'BODY_TOO_LARGE', 'request body is too large') }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: errorBody('UNSUPPORTED_MEDIA_TYPE', 'send application/json') }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, body: errorBody('REQUEST_INVALID', 'body is not valid JSON') }
    default:
      break
  }
  // secure-json-parse refuses __proto__ / constructor.prototype keys with a plain 400 error.
  if (err.statusCode === 400 && /prototype|JSON/i.test(err.message)) {
    return { status: 400, body: errorBody('REQUEST_INVALID', err.message) }
  }
  return undefined
}

export const errorHandling = fp(async (app: FastifyInstance, options: ErrorHandlingOptions) => {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = fromFastifyError(err, options)
    if (mapped) return reply.status(mapped.status).send(mapped.body)
    const status = err.statusCode ?? 500
    if (status >= 500 || !err.code || err.code.startsWith('FST_')) {
      if (status >= 500) request.log.error({ err }, 'request failed')
      const code = status >= 500 ? 'INTERNAL' : 'REQUEST_INVALID'
      if (status === 503 && err.code) return reply.status(503).send(errorBody(err.code, err.message))
      return reply.status(status >= 500 ? 500 : status).send(errorBody(code, status >= 500 ? 'internal error' : err.message))
    }
    return reply.status(status).send(errorBody(err.code, err.message))
  })
  app.setNotFoundHandler((request, reply) => reply.status(404).send(errorBody('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)))
})

export interface OpsOptions {
  /** What /metrics serves: the process's registry, or the cluster's (cluster-metrics.ts). */
  registry: MetricsSource
  /** Named checks for /readyz; each resolves when its dependency answers. */
  readiness: Record<string, () => Promise<void>>
}

/** /healthz (the process is up), /readyz (its dependencies answer), /metrics (Prometheus). */
export const opsRoutes = fp(async (app: FastifyInstance, options: OpsOptions) => {
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }))
  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    const checks: Record<string, string> = {}
    let ready = true
    await Promise.all(
      Object.entries(options.readiness).map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2000)
          checks[name] = 'ok'
        } catch (err) {
          ready = false
          checks[name] = err instanceof Error ? err.message : 'failed'
        }
      }),
    )
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks })
  })
  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    return reply.type(options.registry.contentType).send(await options.registry.metrics())
  })
})

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
    }),
  ])
}
