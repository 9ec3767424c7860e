/** Test tariffs: the demo tariff plus a tap-out rail line, and a later version with dearer buses. */
import { DEMO_FILES } from './harness.ts'

const files = (): Record<string, string> => ({ ...DEMO_FILES })

/** Demo tariff plus `rail-1` (tap on and off): A->A 10.00, A->B or B->A 20.00 for adults. */
export function withRail(): Record<string, string> {
  const f = files()
  f['routes.txt'] = `${(f['routes.txt'] ?? '').trimEnd()}\nrail-1,lutsk-bus,R1,Rail line,2,rail\n`
  f['networks.txt'] = `${(f['networks.txt'] ?? '').trimEnd()}\nrail,Rail\n`
  f['stops.txt'] = `${(f['stops.txt'] ?? '').trimEnd()}\nR1,Rail One,50.75,25.33\nR2,Rail Two,50.76,25.34\nR3,Rail Three,50.77,25.35\n`
  f['areas.txt'] = 'area_id,area_name\nA,Zone A\nB,Zone B\n'
  f['stop_areas.txt'] = 'area_id,stop_id\nA,R1\nA,R3\nB,R2\n'
  f['fare_leg_rules.txt'] = [
    'leg_group_id,network_id,from_area_id,to_area_id,fare_product_id',
    'bus,bus,,,bus-single',
    'trolleybus,trolleybus,,,trolleybus-single',
    'rail-aa,rail,A,A,rail-short',
    'rail-ab,rail,A,B,rail-long',
    'rail-ba,rail,B,A,rail-long',
    '',
  ].join('\n')
  f['fare_products.txt'] =
    `${(f['fare_products.txt'] ?? '').trimEnd()}\nrail-short,Rail within a zone,adult,10.00,UAH\nrail-long,Rail across zones,adult,20.00,UAH\n`
  return f
}

/** The same with the adult bus fare raised from 18.00 to 20.00. */
export function withDearerBus(base: Record<string, string>): Record<string, string> {
  const f = { ...base }
  f['fare_products.txt'] = (f['fare_products.txt'] ?? '').replace('bus-single,Bus single fare,adult,18.00,UAH', 'bus-single,Bus single fare,adult,20.00,UAH')
  return f
}
