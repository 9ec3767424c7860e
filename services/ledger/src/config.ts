import { EnvReader, readCommonConfig, type CommonConfig } from '@fare/platform'

export interface LedgerConfig extends CommonConfig {
  readonly host: string
  readonly port: number
  readonly consumerGroup: string
  /** Until the fare engine is wired in, every entry tap costs this flat fare. */
  readonly flatFareAmount: string
  readonly currency: string
  readonly maxBytesPerPartition: number
}

export function readLedgerConfig(env = new EnvReader()): LedgerConfig {
  const config: LedgerConfig = {
    ...readCommonConfig(env),
    host: env.string('LEDGER_HOST', '127.0.0.1'),
    port: env.integer('LEDGER_PORT', 8081, { min: 0, max: 65535 }),
    consumerGroup: env.string('LEDGER_GROUP', 'ledger'),
    flatFareAmount: env.decimal('FLAT_FARE_AMOUNT', '18.00'),
    currency: env.string('FARE_CURRENCY', 'UAH'),
    maxBytesPerPartition: env.integer('LEDGER_MAX_BYTES_PER_PARTITION', 1024 * 1024, { min: 1024 }),
  }
  env.done()
  return config
}
