import { EnvReader, readCommonConfig, type CommonConfig } from '@fare/platform'

export interface ApiConfig extends CommonConfig {
  readonly host: string
  readonly port: number
  readonly jwtPublicKeyFile: string
  readonly jwtIssuer: string
  /** The issuer's private key, for device access tokens. Never logged. */
  readonly jwtPrivateKeyFile: string
  readonly deviceTokenTtlSeconds: number
  readonly deviceAssertionAudience: string
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
  }
  env.done()
  return config
}
