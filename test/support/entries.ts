/**
 * The scripts tests start as real processes: each service's main, `pnpm
 * start`'s start.ts and the `ledger:check` and `fares` command lines. Tests
 * reach them only through here, so the way they are run changes in one place.
 *
 * They run compiled (test/support/build.ts: infra/build.ts's output for the
 * sources as they are), as `pnpm start` and production run them: plain node
 * starts a service in about half the time tsx takes to compile it, and the
 * suite starts dozens.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { compiledArgs } from './build.ts'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export type ServiceName = 'ingest' | 'ledger' | 'api'

/** The node arguments that run `service` (what `pnpm start` runs for it). */
export function serviceCommand(service: ServiceName): string[] {
  return compiledArgs(`services/${service}/main.js`)
}

/** A service's main.ts, for runs through tsx (the benchmarks compare with it). */
export function serviceEntry(service: ServiceName): string {
  return path.join(REPO_ROOT, `services/${service}/src/main.ts`)
}

/** The node arguments that run `pnpm start`'s script (infra/start.ts), which runs each service compiled beside it. */
export function startCommand(): string[] {
  return compiledArgs('infra/start.js')
}

/** The node arguments that run `pnpm ledger:check`. */
export function ledgerCheckCommand(): string[] {
  return compiledArgs('services/ledger/check-cli.js')
}

/** The node arguments that run `pnpm fares` (the fare engine's command line, docs/fares.md section 6). */
export function faresCliCommand(): string[] {
  return compiledArgs('packages/fares/bin/fares.js')
}
