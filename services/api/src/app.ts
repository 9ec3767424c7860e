import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { accessTokens, AUDIENCE } from '@fare/auth'
import type { Db } from '@fare/db'
import { errorHandling, opsRoutes, type Logger, type Registry } from '@fare/platform'
import { balanceRoutes } from './routes/balance.ts'

export interface ApiDeps {
  logger: Logger
  db: Db
  registry: Registry
  jwtPublicKeyPem: string
  now?: () => Date
}

/** Riders', operators' and admins' API; does not listen (main.ts does, tests inject). */
export async function buildApp(deps: ApiDeps, options: { jwtIssuer?: string } = {}): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, onProtoPoisoning: 'error', onConstructorPoisoning: 'error' })
  await app.register(errorHandling, {})
  await app.register(opsRoutes, { registry: deps.registry, readiness: { postgres: async () => void (await sql`select 1`.execute(deps.db)) } })
  await app.register(accessTokens, { publicKeyPem: deps.jwtPublicKeyPem, audience: AUDIENCE.api, ...(options.jwtIssuer ? { issuer: options.jwtIssuer } : {}) })
  await app.register(balanceRoutes, { db: deps.db, now: deps.now ?? (() => new Date()) })
  return app
}
