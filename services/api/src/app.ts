import { AUDIENCE, accessTokens, DEVICE_ASSERTION_AUDIENCE, limitPerCaller } from '@fare/auth'
import { openApiDocument } from '@fare/contracts'
import type { Db } from '@fare/db'
import { createHttpServer, errorHandling, type HttpTimeouts, type Logger, opsRoutes, type Registry } from '@fare/platform'
import { createTariffBook } from '@fare/tariffs'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { dashboardRoutes } from './dashboard/routes.ts'
import { accountRoutes } from './routes/accounts.ts'
import { authRoutes } from './routes/auth.ts'
import { balanceRoutes } from './routes/balance.ts'
import { cardRoutes } from './routes/cards.ts'
import { deviceRoutes } from './routes/devices.ts'
import { exportRoutes } from './routes/exports.ts'
import { reportRoutes } from './routes/reports.ts'
import { statementRoutes } from './routes/statement.ts'
import { tariffDraftRoutes } from './routes/tariff-drafts.ts'
import { tripRoutes } from './routes/trips.ts'
import { DEFAULT_FEED_LIMITS, type FeedLimits } from './tariffs/feed-upload.ts'
import { DEFAULT_SIMULATION_LIMITS, type SimulationLimits } from './tariffs/simulation.ts'

export interface ApiDeps {
  logger: Logger
  db: Db
  registry: Registry
  jwtPublicKeyPem: string
  /** The issuer's private key, for device access tokens; without it the token endpoint is not served. */
  jwtPrivateKeyPem?: string
  now?: () => Date
}

export interface ApiOptions {
  jwtIssuer?: string
  /** Lifetime of a device access token (default 600 s). */
  deviceTokenTtlSeconds?: number
  deviceAssertionAudience?: string
  /** Requests per minute per token subject, or per client address without a valid token (default 600). */
  rateLimitPerMinute?: number
  /** Larger bodies are 413 (default 64 KiB). */
  bodyLimitBytes?: number
  /** How long a client may take to send a request (defaults: platform's DEFAULT_HTTP_TIMEOUTS). */
  httpTimeouts?: Partial<HttpTimeouts>
  /** How long a money request waits for a first attempt with its Idempotency-Key still running (default 10 s). */
  idempotencyWaitMs?: number
  /** Sizes an uploaded tariff feed may reach (defaults: DEFAULT_FEED_LIMITS). */
  feedLimits?: Partial<FeedLimits>
  /** How much one tariff simulation may rate (defaults: DEFAULT_SIMULATION_LIMITS). */
  simulationLimits?: Partial<SimulationLimits>
}

/** Riders', operators' and admins' API; does not listen (main.ts does, tests inject). */
export async function buildApp(deps: ApiDeps, options: ApiOptions = {}): Promise<FastifyInstance> {
  const app = createHttpServer({
    logger: deps.logger,
    bodyLimitBytes: options.bodyLimitBytes ?? 64 * 1024,
    ...(options.httpTimeouts ? { timeouts: options.httpTimeouts } : {}),
  })
  await app.register(errorHandling, {})
  await app.register(swagger, { openapi: openApiDocument('fare api', 'Riders, operators, admins, and device tokens') })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  await app.register(opsRoutes, { registry: deps.registry, readiness: { postgres: async () => void (await sql`select 1`.execute(deps.db)) } })
  await app.register(accessTokens, { publicKeyPem: deps.jwtPublicKeyPem, audience: AUDIENCE.api, ...(options.jwtIssuer ? { issuer: options.jwtIssuer } : {}) })
  const now = deps.now ?? (() => new Date())
  // Every route but health, metrics and docs is rate limited: by token subject, or by address for
  // the anonymous token endpoint and for bad tokens.
  await app.register(async (limited) => {
    await limitPerCaller(limited, options.rateLimitPerMinute ?? 600)
    // Charges are explained with the tariff versions they were rated with, parsed once per process.
    const tariffs = createTariffBook()
    await limited.register(balanceRoutes, { db: deps.db, now, tariffs })
    await limited.register(tripRoutes, { db: deps.db, now, tariffs })
    await limited.register(statementRoutes, { db: deps.db, now, tariffs })
    await limited.register(deviceRoutes, { db: deps.db, now })
    await limited.register(reportRoutes, { db: deps.db, tariffs })
    await limited.register(dashboardRoutes, { db: deps.db, tariffs, now })
    await limited.register(cardRoutes, { db: deps.db })
    await limited.register(exportRoutes, { db: deps.db, now })
    await limited.register(accountRoutes, { db: deps.db, idempotencyWaitMs: options.idempotencyWaitMs ?? 10_000 })
    await limited.register(tariffDraftRoutes, {
      db: deps.db,
      now,
      feedLimits: { ...DEFAULT_FEED_LIMITS, ...options.feedLimits },
      simulationLimits: { ...DEFAULT_SIMULATION_LIMITS, ...options.simulationLimits },
    })
    if (deps.jwtPrivateKeyPem) {
      await limited.register(authRoutes, {
        db: deps.db,
        now,
        privateKeyPem: deps.jwtPrivateKeyPem,
        accessTokenTtlSeconds: options.deviceTokenTtlSeconds ?? 600,
        assertionAudience: options.deviceAssertionAudience ?? DEVICE_ASSERTION_AUDIENCE,
        ...(options.jwtIssuer ? { issuer: options.jwtIssuer } : {}),
      })
    }
  })
  return app
}
