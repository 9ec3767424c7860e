/**
 * The scripts tests start as real processes: each service's main and the
 * `ledger:check` command line. Tests reach a service's files only through
 * here, so the way a service is run (from source with tsx today) changes in
 * one place.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export type ServiceName = 'ingest' | 'ledger' | 'api'

/** The script that runs `service` (what `pnpm start` runs for it). */
export function serviceEntry(service: ServiceName): string {
  return path.join(REPO_ROOT, `services/${service}/src/main.ts`)
}

/** The script behind `pnpm ledger:check`. */
export function ledgerCheckEntry(): string {
  return path.join(REPO_ROOT, 'services/ledger/src/check-cli.ts')
}

/** The script behind `pnpm fares` (the fare engine's command line, docs/fares.md section 6). */
export function faresCliEntry(): string {
  return path.join(REPO_ROOT, 'packages/fares/src/bin/fares.ts')
}
