import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { accessTokens, AUDIENCE } from '@fare/auth'
import type { Db } from '@fare/db'
import { errorHandling, opsRoutes, type Logger, type Registry } from '@fare/platform'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { DEVICE_ASSERTION_AUDIENCE } from '@fare/auth'
import { openApiDocument } from '@fare/contracts'
import { balanceRoutes } from './routes/balance.ts'
import { authRoutes } from './routes/auth.ts'
import { deviceRoutes } from './routes/devices.ts'

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
}

/** Riders', operators' and admins' API; does not listen (main.ts does, tests inject). */
export async function buildApp(deps: ApiDeps, options: ApiOptions = {}): Promise<FastifyInstance> {
  // removeAdditional off: `additionalProperties: false` refuses unknown fields instead of silently dropping them.
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, onProtoPoisoning: 'error', onConstructorPoisoning: 'error', ajv: { customOptions: { removeAdditional: false } } })
  await app.register(errorHandling, {})
  await app.register(swagger, { openapi: openApiDocument('fare api', 'Riders, operators, admins, and device tokens') })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  await app.register(opsRoutes, { registry: deps.registry, readiness: { postgres: async () => void (await sql`select 1`.execute(deps.db)) } })
  await app.register(accessTokens, { publicKeyPem: deps.jwtPublicKeyPem, audience: AUDIENCE.api, ...(options.jwtIssuer ? { issuer: options.jwtIssuer } : {}) })
  const now = deps.now ?? (() => new Date())
  await app.register(balanceRoutes, { db: deps.db, now })
  await app.register(deviceRoutes, { db: deps.db, now })
  if (deps.jwtPrivateKeyPem) {
    await app.register(authRoutes, {
      db: deps.db,
      now,
      privateKeyPem: deps.jwtPrivateKeyPem,
      accessTokenTtlSeconds: options.deviceTokenTtlSeconds ?? 600,
      assertionAudience: options.deviceAssertionAudience ?? DEVICE_ASSERTION_AUDIENCE,
      ...(options.jwtIssuer ? { issuer: options.jwtIssuer } : {}),
    })
  }
  return app
}
