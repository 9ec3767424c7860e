/**
 * @fare/ledger as other code sees it (the stack's tests, the benchmarks): the
 * consumer that settles taps, its configuration, and the invariant check
 * behind `pnpm ledger:check`. Everything else under src/ is the service's own.
 */

export { type CheckOptions, checkInvariants, DEFAULT_SOURCE, type Violation } from './check.ts'
export { type LedgerConfig, readLedgerConfig } from './config.ts'
export { createLedgerConsumer, type LedgerConsumer, type LedgerConsumerOptions } from './consumer.ts'
