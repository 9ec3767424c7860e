import { type CommonConfig, EnvReader, type HttpTimeouts, readCommonConfig, readHttpTimeouts } from '@fare/platform'

export interface ApiConfig extends CommonConfig {
  readonly host: string
  readonly port: number
  readonly jwtPublicKeyFile: string
  readonly jwtIssuer: string
  /** The issuer's private key, for device access tokens. Never logged. */
  readonly jwtPrivateKeyFile: string
  readonly deviceTokenTtlSeconds: number
  readonly deviceAssertionAudience: string
  /** Requests per minute per token subject; without a valid token, per client address. */
  readonly rateLimitPerMinute: number
  readonly bodyLimitBytes: number
  readonly httpTimeouts: HttpTimeouts
  /** How long a money request waits for a first attempt with the same Idempotency-Key still running. */
  readonly idempotencyWaitMs: number
  /** The most taps one tariff draft simulation rates (docs/tariffs.md). */
  readonly simulationMaxTaps: number
}

export function readApiConfig(env = new EnvReader()): ApiConfig {
  const config: ApiConfig = {
    ...readCommonConfig(env),
    host: env.string('API_HOST', '127.0.0.1'),
    port: env.integer('API_PORT', 8082, { min: 0, max: 65535 }),
    jwtPublicKeyFile: env.string('JWT_PUBLIC_KEY_FILE', '.cache/dev-keys/issuer.pub.pem'),
    jwtIssuer: env.string('JWT_ISSUER', 'fare-auth'),
    jwtPrivateKeyFile: env.string('JWT_PRIVATE_KEY_FILE', '.cache/dev-keys/issuer.key.pem'),
    deviceTokenTtlSeconds: env.integer('DEVICE_TOKEN_TTL_SECONDS', 600, { min: 1, max: 3600 }),
    deviceAssertionAudience: env.string('DEVICE_ASSERTION_AUDIENCE', 'fare-device-token'),
    rateLimitPerMinute: env.integer('API_RATE_LIMIT_PER_MINUTE', 600, { min: 1, max: 10_000_000 }),
    bodyLimitBytes: env.integer('API_BODY_LIMIT_BYTES', 64 * 1024, { min: 1024, max: 16 * 1024 * 1024 }),
    httpTimeouts: readHttpTimeouts(env, 'API'),
    idempotencyWaitMs: env.integer('API_IDEMPOTENCY_WAIT_MS', 10_000, { min: 1, max: 120_000 }),
    simulationMaxTaps: env.integer('API_SIMULATION_MAX_TAPS', 1_000_000, { min: 1, max: 100_000_000 }),
  }
  env.done()
  return config
}
