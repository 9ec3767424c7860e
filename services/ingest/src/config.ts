import { availableParallelism } from 'node:os'
import { readTapWindow, type TapWindow } from '@fare/contracts'
import { type CommonConfig, ConfigError, EnvReader, type HttpTimeouts, readCommonConfig, readHttpTimeouts } from '@fare/platform'

export interface IngestConfig extends CommonConfig {
  readonly host: string
  readonly port: number
  readonly jwtPublicKeyFile: string
  readonly jwtIssuer: string
  /** How far a tap's time may lie from its arrival (the ledger reads the same limits). */
  readonly tapWindow: TapWindow
  readonly bodyLimitBytes: number
  readonly produceTimeoutMs: number
  /** How long a request's records wait to share a producer send with other requests'. */
  readonly produceLingerMs: number
  /** Per device; requests without a valid token, per client address. */
  readonly rateLimitPerMinute: number
  readonly httpTimeouts: HttpTimeouts
  /** Processes serving the one port (node:cluster), by default one per core; 1 = this process serves it alone. */
  readonly workers: number
  readonly tlsCertFile: string | undefined
  readonly tlsKeyFile: string | undefined
  /** CA that signs validators' client certificates (mutual TLS). */
  readonly tlsCaFile: string | undefined
  readonly tlsRequireClientCert: boolean
}

export function readIngestConfig(env = new EnvReader()): IngestConfig {
  const config: IngestConfig = {
    ...readCommonConfig(env),
    host: env.string('INGEST_HOST', '127.0.0.1'),
    port: env.integer('INGEST_PORT', 8080, { min: 0, max: 65535 }),
    jwtPublicKeyFile: env.string('JWT_PUBLIC_KEY_FILE', '.cache/dev-keys/issuer.pub.pem'),
    jwtIssuer: env.string('JWT_ISSUER', 'fare-auth'),
    tapWindow: readTapWindow(env),
    bodyLimitBytes: env.integer('INGEST_BODY_LIMIT_BYTES', 512 * 1024, { min: 1024, max: 16 * 1024 * 1024 }),
    produceTimeoutMs: env.integer('KAFKA_PRODUCE_TIMEOUT_MS', 5000, { min: 100, max: 60_000 }),
    produceLingerMs: env.integer('KAFKA_PRODUCE_LINGER_MS', 2, { min: 0, max: 100 }),
    rateLimitPerMinute: env.integer('INGEST_RATE_LIMIT_PER_MINUTE', 600, { min: 1, max: 10_000_000 }),
    httpTimeouts: readHttpTimeouts(env, 'INGEST'),
    // One process per core by default: one ingest process keeps a core busy (docs/benchmarks.md).
    workers: env.integer('INGEST_WORKERS', Math.min(64, availableParallelism()), { min: 1, max: 64 }),
    tlsCertFile: env.optionalString('INGEST_TLS_CERT_FILE'),
    tlsKeyFile: env.optionalString('INGEST_TLS_KEY_FILE'),
    tlsCaFile: env.optionalString('INGEST_TLS_CA_FILE'),
    tlsRequireClientCert: env.boolean('INGEST_TLS_REQUIRE_CLIENT_CERT', false),
  }
  if ((config.tlsCertFile === undefined) !== (config.tlsKeyFile === undefined)) {
    throw new ConfigError(['INGEST_TLS_CERT_FILE and INGEST_TLS_KEY_FILE must be given together'])
  }
  if (config.httpTimeouts.connectionTimeoutMs <= config.produceTimeoutMs) {
    // A request waits up to the produce timeout with no traffic on its connection; it must not be cut off first.
    throw new ConfigError([
      `INGEST_CONNECTION_TIMEOUT_MS (${config.httpTimeouts.connectionTimeoutMs}) must exceed KAFKA_PRODUCE_TIMEOUT_MS (${config.produceTimeoutMs})`,
    ])
  }
  if (config.tlsRequireClientCert && (!config.tlsCertFile || !config.tlsCaFile)) {
    throw new ConfigError(['INGEST_TLS_REQUIRE_CLIENT_CERT=true needs INGEST_TLS_CERT_FILE, INGEST_TLS_KEY_FILE and INGEST_TLS_CA_FILE'])
  }
  env.done()
  return config
}
