/**
 * A Lutsk-sized network for `pnpm bench:reports`: the demo tariff's fares,
 * categories, transfers and caps (infra/demo-tariff), run by 20 operators
 * instead of two. Operators 01-16 run buses, 17-20 trolleybuses, three routes
 * each over 240 stops, so a bus-trolleybus change is a fare transfer and a
 * change between two operators splits the journey's revenue.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { readFeedFolder } from '@fare/tariffs'
import { seeded } from '../../test/support/random.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export const OPERATOR_COUNT = 20
const BUS_OPERATORS = 16
const ROUTES_PER_OPERATOR = 3
const STOP_COUNT = 240
const STOPS_PER_ROUTE = 18

export interface BenchRoute {
  readonly id: string
  readonly operator: string
  readonly network: 'bus' | 'trolleybus'
  readonly stops: readonly string[]
}

export interface BenchNetwork {
  readonly files: Record<string, string>
  readonly operators: readonly string[]
  readonly routes: readonly BenchRoute[]
}

const csv = (rows: readonly string[]): string => `${rows.join('\n')}\n`

export function benchNetwork(): BenchNetwork {
  const next = seeded(7)
  const operators = Array.from({ length: OPERATOR_COUNT }, (_, i) => `op-${String(i + 1).padStart(2, '0')}`)
  const stops = Array.from({ length: STOP_COUNT }, (_, i) => `S${i + 1}`)
  const routes: BenchRoute[] = operators.flatMap((operator, o) =>
    Array.from({ length: ROUTES_PER_OPERATOR }, (_, r): BenchRoute => {
      const network = o < BUS_OPERATORS ? 'bus' : 'trolleybus'
      const first = Math.floor(next() * STOP_COUNT)
      const step = 1 + Math.floor(next() * 7)
      return {
        id: `${network === 'bus' ? 'bus' : 'trolley'}-${o * ROUTES_PER_OPERATOR + r + 1}`,
        operator,
        network,
        stops: Array.from({ length: STOPS_PER_ROUTE }, (_, k) => stops[(first + k * step) % STOP_COUNT] as string),
      }
    }),
  )
  const files = {
    ...readFeedFolder(path.join(ROOT, 'infra/demo-tariff')),
    'agency.txt': csv([
      'agency_id,agency_name,agency_url,agency_timezone,agency_lang',
      ...operators.map((id) => `${id},Operator ${id},https://example.org/${id},Europe/Kyiv,uk`),
    ]),
    'routes.txt': csv([
      'route_id,agency_id,route_short_name,route_long_name,route_type,network_id',
      ...routes.map((r) => `${r.id},${r.operator},${r.id.split('-')[1]},Route ${r.id},${r.network === 'bus' ? 3 : 11},${r.network}`),
    ]),
    'stops.txt': csv([
      'stop_id,stop_name,stop_lat,stop_lon',
      ...stops.map((s, i) => `${s},Stop ${i + 1},${(50.72 + (i % 16) * 0.004).toFixed(4)},${(25.3 + Math.floor(i / 16) * 0.006).toFixed(4)}`),
    ]),
  }
  return { files, operators, routes }
}
