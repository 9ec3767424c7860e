/** Shared test helpers: small in-memory feeds, the demo tariff, tap builders. */
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadFeed, loadFeedFromFiles, type Tap, type Tariff } from '../src/index.ts'

export const here = dirname(fileURLToPath(import.meta.url))
export const repoRoot = resolve(here, '../../..')
export const fixturesRoot = resolve(here, 'fixtures/gtfs-fares')
export const demoTariffPath = resolve(repoRoot, 'infra/demo-tariff')

let demo: Tariff | undefined
export function demoTariff(): Tariff {
  demo ??= loadFeed(demoTariffPath)
  return demo
}

const csv = (rows: readonly string[]): string => `${rows.join('\n')}\n`

/** A minimal feed in Europe/Kyiv; override or add files by name. */
export function feed(files: Record<string, readonly string[] | undefined>): Tariff {
  const base: Record<string, readonly string[]> = {
    'agency.txt': ['agency_id,agency_name,agency_url,agency_timezone', 'a,A,https://a,Europe/Kyiv'],
    'routes.txt': ['route_id,agency_id,route_type,network_id', 'r1,a,3,n1', 'r2,a,3,n2'],
    'fare_products.txt': ['fare_product_id,amount,currency', 'p1,10.00,UAH'],
    'fare_leg_rules.txt': ['leg_group_id,network_id,fare_product_id', 'g1,n1,p1', 'g2,n2,p1'],
  }
  const merged: Record<string, string> = {}
  for (const [name, rows] of Object.entries({ ...base, ...files })) if (rows !== undefined) merged[name] = csv(rows)
  return loadFeedFromFiles(merged)
}

let counter = 0
export function entry(routeId: string, time: string, extra: Partial<Tap> = {}): Tap {
  return { tapId: extra.tapId ?? `t${String(++counter).padStart(5, '0')}`, kind: 'entry', routeId, time, ...extra }
}
export function exit(routeId: string, time: string, extra: Partial<Tap> = {}): Tap {
  return { tapId: extra.tapId ?? `t${String(++counter).padStart(5, '0')}`, kind: 'exit', routeId, time, ...extra }
}
