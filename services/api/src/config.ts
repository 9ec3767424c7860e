import { EnvReader, readCommonConfig, type CommonConfig } from '@fare/platform'

export interface ApiConfig extends CommonConfig {
  readonly host: string
  readonly port: number
  readonly jwtPublicKeyFile: string
  readonly jwtIssuer: string
}

export function readApiConfig(env = new EnvReader()): ApiConfig {
  const config: ApiConfig = {
    ...readCommonConfig(env),
    host: env.string('API_HOST', '127.0.0.1'),
    port: env.integer('API_PORT', 8082, { min: 0, max: 65535 }),
    jwtPublicKeyFile: env.string('JWT_PUBLIC_KEY_FILE', '.cache/dev-keys/issuer.pub.pem'),
    jwtIssuer: env.string('JWT_ISSUER', 'fare-auth'),
  }
  env.done()
  return config
}
