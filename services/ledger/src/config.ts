import { readTapWindow, type TapWindow } from '@fare/contracts'
import { type CommonConfig, EnvReader, readCommonConfig } from '@fare/platform'

export interface LedgerConfig extends CommonConfig {
  readonly host: string
  readonly port: number
  readonly consumerGroup: string
  readonly maxBytesPerPartition: number
  readonly partitionsConsumedConcurrently: number
  /** Rides a card may take on credit before it is denied (Lutsk: 1). */
  readonly creditRides: number
  /** How far a tap's time may lie from its arrival at ingest: ingest's limits, read from the same variables. */
  readonly tapWindow: TapWindow
  readonly lagIntervalMs: number
  readonly sessionTimeoutMs: number
  /** A partition whose stored offset has not moved this long while its lag is above zero is stalled (/readyz fails). */
  readonly stallSeconds: number
}

export function readLedgerConfig(env = new EnvReader()): LedgerConfig {
  const config: LedgerConfig = {
    ...readCommonConfig(env),
    host: env.string('LEDGER_HOST', '127.0.0.1'),
    port: env.integer('LEDGER_PORT', 8081, { min: 0, max: 65535 }),
    consumerGroup: env.string('LEDGER_GROUP', 'ledger'),
    // Big batches: the per-batch costs (reads, locks, commit) are shared by more taps, and a card's span is re-read less often.
    maxBytesPerPartition: env.integer('LEDGER_MAX_BYTES_PER_PARTITION', 4 * 1024 * 1024, { min: 1024 }),
    partitionsConsumedConcurrently: env.integer('LEDGER_CONCURRENCY', 3, { min: 1, max: 64 }),
    creditRides: env.integer('LEDGER_CREDIT_RIDES', 1, { min: 0, max: 100 }),
    tapWindow: readTapWindow(env),
    lagIntervalMs: env.integer('LEDGER_LAG_INTERVAL_MS', 5000, { min: 100 }),
    sessionTimeoutMs: env.integer('LEDGER_SESSION_TIMEOUT_MS', 10_000, { min: 6000 }),
    // Long enough for the biggest batch to settle and for a short Postgres restart to be ridden out.
    stallSeconds: env.integer('LEDGER_STALL_SECONDS', 300, { min: 1 }),
  }
  env.done()
  return config
}
