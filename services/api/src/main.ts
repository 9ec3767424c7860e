import { readPemKey } from '@fare/auth'
import { createDb } from '@fare/db'
import { createLogger, createMetricsRegistry, onShutdown } from '@fare/platform'
import { buildApp } from './app.ts'
import { readApiConfig } from './config.ts'

const config = readApiConfig()
const logger = createLogger({ level: config.logLevel, name: 'api' })
const db = createDb(config.databaseUrl, {
  applicationName: 'api',
  onIdleConnectionError: (err) => logger.warn({ err }, 'idle Postgres connection lost; the pool reconnects'),
})
const app = await buildApp(
  {
    logger,
    db,
    registry: createMetricsRegistry('api'),
    jwtPublicKeyPem: readPemKey(config.jwtPublicKeyFile, 'public'),
    jwtPrivateKeyPem: readPemKey(config.jwtPrivateKeyFile, 'private'),
  },
  {
    jwtIssuer: config.jwtIssuer,
    deviceTokenTtlSeconds: config.deviceTokenTtlSeconds,
    deviceAssertionAudience: config.deviceAssertionAudience,
    rateLimitPerMinute: config.rateLimitPerMinute,
    bodyLimitBytes: config.bodyLimitBytes,
    httpTimeouts: config.httpTimeouts,
    idempotencyWaitMs: config.idempotencyWaitMs,
    simulationLimits: { maxTaps: config.simulationMaxTaps },
  },
)
onShutdown(logger, [() => app.close(), () => db.destroy()])
await app.listen({ host: config.host, port: config.port })
