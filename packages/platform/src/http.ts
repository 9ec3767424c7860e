/**
 * What every Fastify service shares: the server itself (timeouts, JSON-only
 * bodies, exact body types), one error shape with stable codes for every
 * error (its own, Fastify's and Node's), health and readiness, and the
 * metrics endpoint.
 */
import { STATUS_CODES } from 'node:http'
import type { ServerOptions as HttpsServerOptions } from 'node:https'
import type { Duplex } from 'node:stream'
import AjvCompiler from '@fastify/ajv-compiler'
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { MetricsSource } from './cluster-metrics.ts'
import { ConfigError, type EnvReader } from './config.ts'
import {
  BodyTooLarge,
  HeadersTooLarge,
  Internal,
  RequestInvalid,
  RequestNotHttp,
  RequestTimeout,
  RouteNotFound,
  UnsupportedMediaType,
  UriTooLong,
} from './errors.ts'
import type { Logger } from './logger.ts'
import { withDeadline } from './retry.ts'

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown }
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } }
}

/** An error of a catalogue (errors.ts, a service's, @fare/auth's): `details`, if any, are answered too. */
type CataloguedError = FastifyError & { details?: unknown }

/** Answers an error in the one error shape, with its own status unless told another. */
function answer(reply: FastifyReply, err: CataloguedError, status: number = err.statusCode ?? 500): FastifyReply {
  return reply.status(status).send(errorBody(err.code, err.message, err.details))
}

export interface ErrorHandlingOptions {
  /** The error for a body over the size limit (default BODY_TOO_LARGE; ingest says BATCH_TOO_LARGE). */
  bodyTooLarge?: new () => FastifyError
}

/** Fastify's own errors, mapped to the stable codes of this package's catalogue. */
function fromFastifyError(err: FastifyError, options: ErrorHandlingOptions): FastifyError | undefined {
  if (err.validation) {
    return new RequestInvalid(`${err.validationContext ?? 'request'}${err.validation[0]?.instancePath ?? ''} ${err.validation[0]?.message ?? 'is invalid'}`)
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new (options.bodyTooLarge ?? BodyTooLarge)()
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new UnsupportedMediaType()
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new RequestInvalid('body is not valid JSON')
    default:
      break
  }
  // secure-json-parse refuses __proto__ / constructor.prototype keys with a plain 400 error.
  if (err.statusCode === 400 && /prototype|JSON/i.test(err.message)) return new RequestInvalid(err.message)
  return undefined
}

/** How long a client may take; Node's and Fastify's defaults wait forever for a slow body. */
export interface HttpTimeouts {
  /** The request line and headers must have arrived within this (Node's headersTimeout). */
  headersTimeoutMs: number
  /** The whole request, body included, must have arrived within this (Node's requestTimeout). */
  requestTimeoutMs: number
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number
  /** A connection with no traffic either way is closed after this (Fastify's connectionTimeout); longer than any answer takes. */
  connectionTimeoutMs: number
}

export const DEFAULT_HTTP_TIMEOUTS: Readonly<HttpTimeouts> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 72_000,
  connectionTimeoutMs: 60_000,
}

/** `<PREFIX>_HEADERS_TIMEOUT_MS`, `_REQUEST_TIMEOUT_MS`, `_KEEP_ALIVE_TIMEOUT_MS`, `_CONNECTION_TIMEOUT_MS`. */
export function readHttpTimeouts(env: EnvReader, prefix: string): HttpTimeouts {
  const range = { min: 100, max: 3_600_000 }
  const timeouts: HttpTimeouts = {
    headersTimeoutMs: env.integer(`${prefix}_HEADERS_TIMEOUT_MS`, DEFAULT_HTTP_TIMEOUTS.headersTimeoutMs, range),
    requestTimeoutMs: env.integer(`${prefix}_REQUEST_TIMEOUT_MS`, DEFAULT_HTTP_TIMEOUTS.requestTimeoutMs, range),
    keepAliveTimeoutMs: env.integer(`${prefix}_KEEP_ALIVE_TIMEOUT_MS`, DEFAULT_HTTP_TIMEOUTS.keepAliveTimeoutMs, range),
    connectionTimeoutMs: env.integer(`${prefix}_CONNECTION_TIMEOUT_MS`, DEFAULT_HTTP_TIMEOUTS.connectionTimeoutMs, range),
  }
  // Node refuses to start a server whose headers may take longer than the whole request.
  if (timeouts.headersTimeoutMs > timeouts.requestTimeoutMs) {
    throw new ConfigError([
      `${prefix}_HEADERS_TIMEOUT_MS (${timeouts.headersTimeoutMs}) must not exceed ${prefix}_REQUEST_TIMEOUT_MS (${timeouts.requestTimeoutMs})`,
    ])
  }
  return timeouts
}

export interface HttpServerSettings {
  logger: Logger
  /** Larger bodies are 413 (Fastify's default: 1 MiB). */
  bodyLimitBytes?: number
  timeouts?: Partial<HttpTimeouts>
  /** Serve HTTPS with these TLS options. */
  https?: HttpsServerOptions
}

/**
 * Path parameters may be this long (Fastify's default, 100, is shorter than
 * a card token may be); a longer one is 414 URI_TOO_LONG before any route runs.
 */
const MAX_PARAM_LENGTH = 256

/**
 * A Fastify server with the contract every service keeps: bounded time for a
 * request to arrive, JSON bodies only, body types never coerced, unknown
 * fields refused, and the error shape on errors raised before any route runs.
 * Does not listen.
 */
export function createHttpServer(settings: HttpServerSettings): FastifyInstance {
  const timeouts = { ...DEFAULT_HTTP_TIMEOUTS, ...settings.timeouts }
  const nodeServer = {
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    // Node looks for expired requests on this interval (30 s by default), so a timeout is enforced at most this late.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs) / 4))),
  }
  const options = {
    loggerInstance: settings.logger as FastifyBaseLogger,
    ...(settings.bodyLimitBytes === undefined ? {} : { bodyLimit: settings.bodyLimitBytes }),
    connectionTimeout: timeouts.connectionTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    onProtoPoisoning: 'error' as const,
    onConstructorPoisoning: 'error' as const,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Unknown fields are refused (400), not silently dropped as Fastify's default Ajv would.
    ajv: { customOptions: { removeAdditional: false as const } },
    schemaController: { compilersFactory: { buildValidator: exactBodyValidators() } },
    frameworkErrors,
    clientErrorHandler,
  }
  const app = (settings.https
    ? Fastify({ ...options, https: { ...settings.https, ...nodeServer } })
    : Fastify({ ...options, http: nodeServer })) as unknown as FastifyInstance
  // JSON only: without Fastify's built-in text/plain parser, any other body type is 415.
  app.removeContentTypeParser('text/plain')
  app.addHook('preValidation', async (request, reply) => {
    // A route that takes a body wants JSON even when none was sent: 415 says what to send, where a 400 would not.
    if (request.routeOptions.schema?.body && request.headers['content-type'] === undefined) {
      return answer(reply, new UnsupportedMediaType())
    }
  })
  return app
}

/**
 * Fastify's Ajv coerces types ('array' mode): `{"taps": null}` would become
 * `[null]` and `123` would pass as "123". A URL is all strings, so params and
 * querystrings keep coercion; a JSON body has types of its own and is taken
 * as sent.
 */
function exactBodyValidators() {
  const build = AjvCompiler()
  return (externalSchemas: Parameters<typeof build>[0], options: { customOptions?: AjvCompiler.Options } = {}) => {
    const coercing = build(externalSchemas, options)
    const exact = build(externalSchemas, { ...options, customOptions: { ...options.customOptions, coerceTypes: false } })
    return (route: AjvCompiler.RouteDefinition) => (route.httpPart === 'body' ? exact : coercing)(route)
  }
}

/** Errors the router raises before any route runs. */
function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      void answer(reply, new RequestInvalid('the URL is not valid (bad percent-encoding)'))
      return
    case 'FST_ERR_MAX_PARAM_LENGTH':
      void answer(reply, new UriTooLong(MAX_PARAM_LENGTH))
      return
    default:
      reply.log.error({ err: error }, 'router failed')
      void answer(reply, new Internal())
  }
}

/** Node's own refusals, raised while a request is read, before Fastify sees it. */
const CLIENT_ERRORS: Record<string, new () => FastifyError> = {
  ERR_HTTP_REQUEST_TIMEOUT: RequestTimeout,
  HPE_HEADER_OVERFLOW: HeadersTooLarge,
}

function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Duplex): void {
  // A connection reset has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const refusal = new (CLIENT_ERRORS[err.code ?? ''] ?? RequestNotHttp)()
  const status = refusal.statusCode ?? 400
  this.log.debug({ err: { code: err.code, message: err.message } }, 'client error')
  // As Node does: answer only if no response has started on this connection (its internal _httpMessage).
  const response = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (socket.writable && !response?.headersSent) {
    const body = JSON.stringify(errorBody(refusal.code, refusal.message))
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    )
  }
  socket.destroy(err)
}

export const errorHandling = fp(async (app: FastifyInstance, options: ErrorHandlingOptions) => {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = fromFastifyError(err, options)
    if (mapped) return answer(reply, mapped)
    const status = err.statusCode ?? 500
    if (status >= 500 || !err.code || err.code.startsWith('FST_')) {
      if (status >= 500) request.log.error({ err }, 'request failed')
      // A 503 with a code of ours (BROKER_UNAVAILABLE) tells the client to retry; any other failure of ours is INTERNAL.
      if (status === 503 && err.code) return reply.status(503).send(errorBody(err.code, err.message))
      return status >= 500 ? answer(reply, new Internal()) : answer(reply, new RequestInvalid(err.message), status)
    }
    // A catalogued error (a service's, @fare/auth's): its own code, message, status and details.
    return answer(reply, err)
  })
  app.setNotFoundHandler((request, reply) => answer(reply, new RouteNotFound(request.method, request.url.split('?')[0])))
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
          await withDeadline(check(), 2000, 'no answer within 2000 ms')
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
