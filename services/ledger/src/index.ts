/**
 * @fare/ledger as other code sees it (the stack's tests, the benchmarks): the
 * consumer that settles taps, its configuration, and the invariant check
 * behind `pnpm ledger:check`. Everything else under src/ is the service's own.
 */
export { createLedgerConsumer, type LedgerConsumer, type LedgerConsumerOptions } from './consumer.ts'
export { readLedgerConfig, type LedgerConfig } from './config.ts'
export { checkInvariants, DEFAULT_SOURCE, type CheckOptions, type Violation } from './check.ts'
