import { AUDIENCE, accessTokens, limitPerCaller } from '@fare/auth'
import { DEFAULT_TAP_WINDOW, openApiDocument, type TapWindow } from '@fare/contracts'
import type { Db } from '@fare/db'
import { Counter, createHttpServer, errorHandling, type HttpTimeouts, type Logger, type MetricsSource, opsRoutes, type Registry } from '@fare/platform'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { BatchBodyTooLarge } from './errors.ts'
import { distributionRoutes } from './routes/distribution.ts'
import { tapRoutes } from './routes/taps.ts'
import type { TapSink } from './tap-producer.ts'

export interface IngestDeps {
  logger: Logger
  sink: TapSink
  /** Deny list and tariff versions are read from Postgres; without a db those routes are not served. */
  db?: Db
  registry: Registry
  /** What /metrics serves when not just `registry` (a cluster worker serves the whole cluster's). */
  metricsSource?: MetricsSource
  jwtPublicKeyPem: string
  now?: () => Date
}

/** TLS for validators (PEM strings); with `ca` and `requireClientCert`, mutual TLS. */
export interface IngestTls {
  cert: string
  key: string
  ca?: string
  requireClientCert?: boolean
}

export interface IngestOptions {
  jwtIssuer?: string
  /** How far a tap's time may lie from its arrival (default: DEFAULT_TAP_WINDOW). */
  tapWindow?: TapWindow
  bodyLimitBytes: number
  /** Requests per device per minute on the device routes (default 600); without a valid token, per client address. */
  rateLimitPerMinute?: number
  /** How long a client may take to send a request (defaults: platform's DEFAULT_HTTP_TIMEOUTS). */
  httpTimeouts?: Partial<HttpTimeouts>
  /** Seconds of clock skew forgiven on a token's exp (default 5). */
  tokenClockToleranceSeconds?: number
  tls?: IngestTls
}

/** Builds the validator-facing app; does not listen (main.ts does, tests inject). */
export async function buildApp(deps: IngestDeps, options: IngestOptions): Promise<FastifyInstance> {
  const tls = options.tls
  const app = createHttpServer({
    logger: deps.logger,
    bodyLimitBytes: options.bodyLimitBytes,
    ...(options.httpTimeouts ? { timeouts: options.httpTimeouts } : {}),
    ...(tls
      ? {
          https: {
            cert: tls.cert,
            key: tls.key,
            ...(tls.ca ? { ca: tls.ca } : {}),
            ...(tls.requireClientCert ? { requestCert: true, rejectUnauthorized: true } : {}),
            minVersion: 'TLSv1.2' as const,
          },
        }
      : {}),
  })
  const tapsAccepted = new Counter({ name: 'ingest_taps_accepted_total', help: 'Taps acknowledged by Kafka and answered accepted', registers: [deps.registry] })
  const brokerUnavailable = new Counter({
    name: 'ingest_broker_unavailable_total',
    help: 'Tap requests answered 503 because Kafka did not acknowledge in time',
    registers: [deps.registry],
  })
  const now = deps.now ?? (() => new Date())
  const db = deps.db

  await app.register(errorHandling, { bodyTooLarge: BatchBodyTooLarge })
  await app.register(swagger, { openapi: openApiDocument('fare ingest', 'The validator-facing service: taps, deny list, tariff') })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  await app.register(opsRoutes, {
    registry: deps.metricsSource ?? deps.registry,
    readiness: { kafka: () => deps.sink.ready(), ...(db ? { postgres: async () => void (await sql`select 1`.execute(db)) } : {}) },
  })
  await app.register(accessTokens, {
    publicKeyPem: deps.jwtPublicKeyPem,
    audience: AUDIENCE.ingest,
    ...(options.jwtIssuer ? { issuer: options.jwtIssuer } : {}),
    ...(options.tokenClockToleranceSeconds === undefined ? {} : { clockToleranceSeconds: options.tokenClockToleranceSeconds }),
  })
  // The device routes, rate limited per device (never per IP: buses share NAT addresses); a
  // request without a valid token is counted by address, so a flood of bad tokens is limited too.
  await app.register(async (devices) => {
    await limitPerCaller(devices, options.rateLimitPerMinute ?? 600)
    await devices.register(tapRoutes, {
      sink: deps.sink,
      tapWindow: options.tapWindow ?? DEFAULT_TAP_WINDOW,
      now,
      onAccepted: (n) => tapsAccepted.inc(n),
      onBrokerUnavailable: () => brokerUnavailable.inc(),
    })
    if (db) await devices.register(distributionRoutes, { db, now })
  })
  return app
}
