import { EnvReader, readCommonConfig, type CommonConfig } from '@fare/platform'

export interface IngestConfig extends CommonConfig {
  readonly host: string
  readonly port: number
  readonly jwtPublicKeyFile: string
  readonly jwtIssuer: string
  /** A tap more than this far in the future is rejected (validator clocks drift). */
  readonly maxFutureSkewSeconds: number
  /** A tap older than this is past the retention window and rejected. */
  readonly maxTapAgeDays: number
  readonly bodyLimitBytes: number
  readonly produceTimeoutMs: number
}

export function readIngestConfig(env = new EnvReader()): IngestConfig {
  const config: IngestConfig = {
    ...readCommonConfig(env),
    host: env.string('INGEST_HOST', '127.0.0.1'),
    port: env.integer('INGEST_PORT', 8080, { min: 0, max: 65535 }),
    jwtPublicKeyFile: env.string('JWT_PUBLIC_KEY_FILE', '.cache/dev-keys/issuer.pub.pem'),
    jwtIssuer: env.string('JWT_ISSUER', 'fare-auth'),
    maxFutureSkewSeconds: env.integer('TAP_MAX_FUTURE_SKEW_SECONDS', 300, { min: 0, max: 86_400 }),
    maxTapAgeDays: env.integer('TAP_MAX_AGE_DAYS', 31, { min: 1, max: 366 }),
    bodyLimitBytes: env.integer('INGEST_BODY_LIMIT_BYTES', 512 * 1024, { min: 1024, max: 16 * 1024 * 1024 }),
    produceTimeoutMs: env.integer('KAFKA_PRODUCE_TIMEOUT_MS', 5000, { min: 100, max: 60_000 }),
  }
  env.done()
  return config
}
