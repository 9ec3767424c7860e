/**
 * Configuration from environment variables, validated once at start.
 * Every reader records its problem instead of throwing, so one start-up
 * reports every bad variable at once, each by name.
 */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`)
    this.name = 'ConfigError'
    // A start-up with bad settings should print what to fix, not a stack trace.
    this.stack = `${this.name}: ${this.message}`
  }
}

export type Env = Readonly<Record<string, string | undefined>>

export class EnvReader {
  private readonly problems: string[] = []
  constructor(private readonly env: Env = process.env) {}

  string(name: string, fallback?: string): string {
    const value = this.env[name]?.trim()
    if (value) return value
    if (fallback !== undefined) return fallback
    this.problems.push(`${name} is required`)
    return ''
  }

  optionalString(name: string): string | undefined {
    const value = this.env[name]?.trim()
    return value ? value : undefined
  }

  integer(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const raw = this.env[name]?.trim()
    if (!raw) return fallback
    const value = Number(raw)
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`)
      return fallback
    }
    return value
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.env[name]?.trim().toLowerCase()
    if (!raw) return fallback
    if (['1', 'true', 'yes'].includes(raw)) return true
    if (['0', 'false', 'no'].includes(raw)) return false
    this.problems.push(`${name} must be true or false, got ${JSON.stringify(raw)}`)
    return fallback
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.env[name]?.trim()
    if (!raw) return fallback
    if ((allowed as readonly string[]).includes(raw)) return raw as T
    this.problems.push(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`)
    return fallback
  }

  list(name: string, fallback: readonly string[]): string[] {
    const raw = this.env[name]?.trim()
    if (!raw) return [...fallback]
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
  }

  /** A decimal money amount such as "18.00"; kept as a string so no float ever touches it. */
  decimal(name: string, fallback: string): string {
    const raw = this.env[name]?.trim()
    if (!raw) return fallback
    if (!/^\d+(\.\d+)?$/.test(raw)) {
      this.problems.push(`${name} must be a decimal amount like 18.00, got ${JSON.stringify(raw)}`)
      return fallback
    }
    return raw
  }

  /** Throws one ConfigError naming every bad variable; call after reading them all. */
  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems)
  }
}

/** Settings every service shares: where Kafka and Postgres are, log level. */
export interface CommonConfig {
  readonly kafkaBrokers: string[]
  readonly databaseUrl: string
  readonly logLevel: string
  readonly tapsTopic: string
  readonly dlqTopic: string
}

export function readCommonConfig(env: EnvReader): CommonConfig {
  return {
    kafkaBrokers: env.list('KAFKA_BROKERS', ['127.0.0.1:9092']),
    databaseUrl: env.string('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/fare'),
    logLevel: env.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    tapsTopic: env.string('TAPS_TOPIC', 'taps'),
    dlqTopic: env.string('DLQ_TOPIC', 'taps.dlq'),
  }
}
