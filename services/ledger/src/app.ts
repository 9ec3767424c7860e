import type { Db } from '@fare/db'
import { errorHandling, type Logger, opsRoutes, type Registry } from '@fare/platform'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import type { Stall } from './stall.ts'

/**
 * The ledger's small HTTP face: health, readiness and metrics for operations.
 * Not ready also while a partition is stalled (`stalled`), naming it.
 */
export async function buildApp(deps: {
  logger: Logger
  db: Db
  registry: Registry
  kafkaReady: () => Promise<void>
  stalled?: () => readonly Stall[]
}): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger })
  await app.register(errorHandling, {})
  await app.register(opsRoutes, {
    registry: deps.registry,
    readiness: {
      postgres: async () => void (await sql`select 1`.execute(deps.db)),
      kafka: deps.kafkaReady,
      settlement: async () => {
        const stalled = deps.stalled?.() ?? []
        if (stalled.length > 0)
          throw new Error(stalled.map((s) => `partition ${s.partition} stalled at offset ${s.offset} for ${s.seconds} s (lag ${s.lag})`).join('; '))
      },
    },
  })
  return app
}
