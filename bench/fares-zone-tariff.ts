/** A tap-on/tap-off zone tariff for the benchmark: three zones, to_area rules, a day cap. */
import { loadFeedFromFiles, type Tariff } from '@fare/fares'

const csv = (rows: readonly string[]): string => `${rows.join('\n')}\n`

export const ZONE_STOPS = ['Z1A', 'Z1B', 'Z2A', 'Z2B', 'Z3A', 'Z3B'] as const
export const ZONE_ROUTES = ['metro-1', 'metro-2'] as const

export function zoneTariff(): Tariff {
  const zones = ['z1', 'z2', 'z3']
  const rules = ['leg_group_id,network_id,from_area_id,to_area_id,fare_product_id']
  for (const from of zones) for (const to of zones) rules.push(`metro,metro,${from},${to},${Math.abs(Number(from[1]) - Number(to[1])) + 1}-zone`)
  return loadFeedFromFiles({
    'agency.txt': csv(['agency_id,agency_name,agency_url,agency_timezone', 'metro,Metro,https://example.org,Europe/Kyiv']),
    'routes.txt': csv(['route_id,agency_id,route_type,network_id', 'metro-1,metro,1,metro', 'metro-2,metro,1,metro']),
    'stops.txt': csv(['stop_id', ...ZONE_STOPS]),
    'areas.txt': csv(['area_id', ...zones]),
    'stop_areas.txt': csv(['area_id,stop_id', 'z1,Z1A', 'z1,Z1B', 'z2,Z2A', 'z2,Z2B', 'z3,Z3A', 'z3,Z3B']),
    'fare_products.txt': csv(['fare_product_id,amount,currency', '1-zone,12.00,UAH', '2-zone,18.00,UAH', '3-zone,24.00,UAH']),
    'fare_leg_rules.txt': csv(rules),
    'fare_transfer_rules.txt': csv([
      'from_leg_group_id,to_leg_group_id,transfer_count,duration_limit,duration_limit_type,fare_transfer_type',
      'metro,metro,1,1800,2,0',
    ]),
    'fare_caps.txt': csv(['cap_id,amount,currency,period,day_start_time', 'day,60.00,UAH,day,04:00:00', 'week,250.00,UAH,week,04:00:00']),
  })
}
