import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import type { Db } from '@fare/db'
import { errorHandling, opsRoutes, type Logger, type Registry } from '@fare/platform'

/** The ledger's small HTTP face: health, readiness and metrics for operations. */
export async function buildApp(deps: { logger: Logger; db: Db; registry: Registry; kafkaReady: () => Promise<void> }): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger })
  await app.register(errorHandling, {})
  await app.register(opsRoutes, {
    registry: deps.registry,
    readiness: {
      postgres: async () => void (await sql`select 1`.execute(deps.db)),
      kafka: deps.kafkaReady,
    },
  })
  return app
}
