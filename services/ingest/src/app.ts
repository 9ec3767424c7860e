import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { accessTokens, AUDIENCE } from '@fare/auth'
import { errorHandling, opsRoutes, Counter, type Logger, type Registry } from '@fare/platform'
import type { TapSink } from './tap-producer.ts'
import { tapRoutes } from './routes/taps.ts'

export interface IngestDeps {
  logger: Logger
  sink: TapSink
  registry: Registry
  jwtPublicKeyPem: string
  now?: () => Date
}

export interface IngestOptions {
  jwtIssuer?: string
  maxFutureSkewSeconds: number
  maxTapAgeDays: number
  bodyLimitBytes: number
}

/** Builds the validator-facing app; does not listen (main.ts does, tests inject). */
export async function buildApp(deps: IngestDeps, options: IngestOptions): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, bodyLimit: options.bodyLimitBytes, onProtoPoisoning: 'error', onConstructorPoisoning: 'error' })
  const tapsAccepted = new Counter({ name: 'ingest_taps_accepted_total', help: 'Taps acknowledged by Kafka and answered accepted', registers: [deps.registry] })

  await app.register(errorHandling, { bodyTooLargeCode: 'BATCH_TOO_LARGE' })
  await app.register(opsRoutes, { registry: deps.registry, readiness: { kafka: () => deps.sink.ready() } })
  await app.register(accessTokens, { publicKeyPem: deps.jwtPublicKeyPem, audience: AUDIENCE.ingest, ...(options.jwtIssuer ? { issuer: options.jwtIssuer } : {}) })
  await app.register(tapRoutes, {
    sink: deps.sink,
    maxFutureSkewSeconds: options.maxFutureSkewSeconds,
    maxTapAgeDays: options.maxTapAgeDays,
    now: deps.now ?? (() => new Date()),
    onAccepted: (n) => tapsAccepted.inc(n),
  })
  return app
}
