/**
 * Pricing rules of docs/fares.md section 2, each given a small feed, then a
 * journey, then the price.
 */
import t from 'tap'
import { type FareError, type PriceRequest, priceJourney, type Tariff } from '../src/index.ts'
import { feed } from './helpers.ts'

const price = (tariff: Tariff, request: PriceRequest): string => priceJourney(tariff, request).total.toFixed(2)
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (error) {
    return (error as FareError).code
  }
  return undefined
}

t.test('rule_priority: empty fields are wildcards, the highest priority wins, ties all apply', async (t) => {
  const tariff = feed({
    'fare_products.txt': ['fare_product_id,amount,currency', 'any,30,UAH', 'n1,20,UAH', 'n1b,15,UAH'],
    'fare_leg_rules.txt': ['network_id,fare_product_id,rule_priority', ',any,', 'n1,n1,2', 'n1,n1b,2'],
  })
  t.equal(price(tariff, { legs: [{ routeId: 'r1', departure: '2026-01-05T10:00:00+02:00' }] }), '15.00', 'two rules at priority 2: the cheaper')
  t.equal(price(tariff, { legs: [{ routeId: 'r2', departure: '2026-01-05T10:00:00+02:00' }] }), '30.00', 'wildcard for the other network')
})

t.test("areas: a platform inherits its station's areas unless it has its own", async (t) => {
  const tariff = feed({
    'stops.txt': ['stop_id,location_type,parent_station', 'ST,1,', 'P1,0,ST', 'P2,0,ST', 'X,0,'],
    'areas.txt': ['area_id', 'z1', 'z2'],
    'stop_areas.txt': ['area_id,stop_id', 'z1,ST', 'z2,P2', 'z2,X'],
    'fare_products.txt': ['fare_product_id,amount,currency', 'in1,10,UAH', 'in2,20,UAH'],
    'fare_leg_rules.txt': ['network_id,from_area_id,fare_product_id', 'n1,z1,in1', 'n1,z2,in2'],
  })
  t.equal(price(tariff, { legs: [{ routeId: 'r1', fromStopId: 'P1', departure: '2026-01-05T10:00:00+02:00' }] }), '10.00')
  t.equal(price(tariff, { legs: [{ routeId: 'r1', fromStopId: 'P2', departure: '2026-01-05T10:00:00+02:00' }] }), '20.00')
  t.equal(
    codeOf(() => price(tariff, { legs: [{ routeId: 'r1', fromStopId: 'nowhere', departure: '2026-01-05T10:00:00+02:00' }] })),
    'REQUEST_INVALID',
  )
})

const peakFeed = (): Tariff =>
  feed({
    'calendar.txt': ['service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date', 'all,1,1,1,1,1,1,1,20260101,20261231'],
    'timeframes.txt': ['timeframe_group_id,start_time,end_time,service_id', 'peak,07:00:00,10:00:00,all', 'night,02:00:00,04:00:00,all'],
    'fare_products.txt': ['fare_product_id,amount,currency', 'peak,20,UAH', 'off,10,UAH', 'night,5,UAH'],
    'fare_leg_rules.txt': ['network_id,from_timeframe_group_id,fare_product_id,rule_priority', 'n1,peak,peak,1', 'n1,night,night,1', 'n1,,off,0'],
  })

t.test('timeframes use Europe/Kyiv local time across the DST changes', async (t) => {
  const tariff = peakFeed()
  const at = (departure: string): string => price(tariff, { legs: [{ routeId: 'r1', departure }] })
  t.equal(at('2026-03-28T07:00:00+02:00'), '20.00', 'winter: 07:00 local is peak')
  t.equal(at('2026-03-29T07:00:00+03:00'), '20.00', 'first summer day: 07:00 local is peak')
  t.equal(at('2026-03-29T04:00:00Z'), '20.00', 'the same instant written in UTC')
  t.equal(at('2026-03-29T06:59:59+03:00'), '10.00', 'start inclusive, one second before is off-peak')
  t.equal(at('2026-03-29T10:00:00+03:00'), '10.00', 'end exclusive')
  t.equal(at('2026-03-29T02:30:00+02:00'), '5.00', 'before the spring gap: night')
  t.equal(at('2026-03-29T01:00:00Z'), '10.00', '03:00 winter time does not exist; it is 04:00 summer time, outside the night frame')
  t.equal(at('2026-10-25T03:30:00+03:00'), '5.00', 'fall back: first 03:30 is night')
  t.equal(at('2026-10-25T03:30:00+02:00'), '5.00', 'fall back: the repeated 03:30 is night too')
  t.equal(at('2026-10-25T04:00:00+02:00'), '10.00', 'after the repeated hour')
})

const transferFeed = (
  rule: string,
  header = 'from_leg_group_id,to_leg_group_id,transfer_count,duration_limit,duration_limit_type,fare_transfer_type,fare_product_id',
): Tariff =>
  feed({
    'fare_products.txt': ['fare_product_id,amount,currency', 'p1,10,UAH', 'p2,12,UAH', 'xfer,3,UAH', 'upgrade,15,UAH', 'dear,30,UAH', 'discount,-3,UAH'],
    'fare_leg_rules.txt': ['leg_group_id,network_id,fare_product_id', 'g1,n1,p1', 'g2,n2,p2'],
    'fare_transfer_rules.txt': [header, rule],
  })
const twoLegs = (gapMinutes: number, secondRoute = 'r2', rideMinutes = 10): PriceRequest => {
  const dep2 = new Date(Date.parse('2026-01-05T10:00:00+02:00') + gapMinutes * 60_000)
  return {
    legs: [
      { routeId: 'r1', departure: '2026-01-05T10:00:00+02:00', arrival: `2026-01-05T10:${String(rideMinutes).padStart(2, '0')}:00+02:00` },
      { routeId: secondRoute, departure: dep2.toISOString(), arrival: new Date(dep2.getTime() + rideMinutes * 60_000).toISOString() },
    ],
  }
}

t.test('fare_transfer_type arithmetic', async (t) => {
  t.equal(price(transferFeed('g1,g2,,3600,1,0,xfer'), twoLegs(30)), '13.00', 'type 0: A + AB')
  t.equal(price(transferFeed('g1,g2,,3600,1,1,discount'), twoLegs(30)), '19.00', 'type 1: A + AB + B with a negative AB')
  t.equal(price(transferFeed('g1,g2,,3600,1,1,xfer'), twoLegs(30)), '22.00', 'type 1 with A + AB + B = 25 > 22: not taken')
  t.equal(price(transferFeed('g1,g2,,3600,1,2,upgrade'), twoLegs(30)), '15.00', 'type 2: AB')
  const upgrade = priceJourney(transferFeed('g1,g2,,3600,1,2,upgrade'), twoLegs(30))
  t.equal(upgrade.legs[1]?.amount.toFixed(2), '5.00', 'the second leg pays AB - A')
  t.equal(price(transferFeed('g1,g2,,3600,1,0,'), twoLegs(30)), '10.00', 'empty product: the transfer costs 0')
  t.equal(price(transferFeed('g2,g1,,3600,1,0,'), twoLegs(30)), '22.00', 'rules are directional')
  t.equal(price(transferFeed('g1,g2,,3600,1,1,dear'), twoLegs(30)), '22.00', 'a transfer dearer than a new journey is not taken')
})

t.test('duration_limit_type and the inclusive bound', async (t) => {
  t.equal(price(transferFeed('g1,g2,,3600,1,0,'), twoLegs(60)), '10.00', 'departure to departure exactly 3600 s: inside')
  t.equal(price(transferFeed('g1,g2,,3599,1,0,'), twoLegs(60)), '22.00', 'one second over')
  t.equal(price(transferFeed('g1,g2,,3600,0,0,'), twoLegs(50)), '10.00', 'type 0 departure to arrival: 60 min')
  t.equal(price(transferFeed('g1,g2,,3600,0,0,'), twoLegs(51)), '22.00', 'type 0: 61 min')
  t.equal(price(transferFeed('g1,g2,,3600,2,0,'), twoLegs(70)), '10.00', 'type 2 arrival to departure: 60 min')
  t.equal(price(transferFeed('g1,g2,,3600,3,0,'), twoLegs(60)), '10.00', 'type 3 arrival to arrival: 60 min')
  const noArrival: PriceRequest = {
    legs: [
      { routeId: 'r1', departure: '2026-01-05T10:00:00+02:00' },
      { routeId: 'r2', departure: '2026-01-05T10:10:00+02:00' },
    ],
  }
  t.equal(price(transferFeed('g1,g2,,3600,3,0,'), noArrival), '22.00', 'a type needing an arrival does not match tap-on legs')
})

t.test('transfer_count: the smallest count >= n; -1 unlimited', async (t) => {
  const legs = (count: number): PriceRequest => ({
    legs: Array.from({ length: count }, (_, i) => ({ routeId: 'r1', departure: `2026-01-05T10:${String(i * 10).padStart(2, '0')}:00+02:00` })),
  })
  t.equal(price(transferFeed('g1,g1,1,3600,1,0,'), legs(3)), '20.00', 'one transfer allowed: the third leg starts a new journey')
  t.equal(price(transferFeed('g1,g1,-1,3600,1,0,'), legs(4)), '10.00', 'unlimited within 60 min')
  const stepped = feed({
    'fare_products.txt': ['fare_product_id,amount,currency', 'p1,10,UAH', 'p2,12,UAH', 'x1,1,UAH', 'x2,2,UAH'],
    'fare_leg_rules.txt': ['leg_group_id,network_id,fare_product_id', 'g1,n1,p1', 'g2,n2,p2'],
    'fare_transfer_rules.txt': ['from_leg_group_id,to_leg_group_id,transfer_count,fare_transfer_type,fare_product_id', 'g1,g1,1,0,x1', 'g1,g1,3,0,x2'],
  })
  t.equal(price(stepped, legs(4)), '15.00', '10 + 1 (n=1) + 2 (n=2) + 2 (n=3)')
  t.equal(price(stepped, legs(5)), '24.00', 'n=4 has no rule; best fare restarts after the 3rd leg: (10 + 1 + 2) + (10 + 1)')
})

t.test('best fare tie rule: between equal totals the earlier journey keeps the leg', async (t) => {
  const tariff = transferFeed('g1,g2,,3600,1,0,p2')
  const result = priceJourney(tariff, twoLegs(30))
  t.equal(result.total.toFixed(2), '22.00')
  t.equal(result.legs[1]?.kind, 'transfer', 'transfer (A + AB = 22) ties with a new journey (22): the transfer is kept')
  t.equal(result.journeys.length, 1)
})

t.test('rider categories and fare media: the cheapest fitting product', async (t) => {
  const tariff = feed({
    'rider_categories.txt': ['rider_category_id,is_default_fare_category', 'adult,1', 'pupil,0'],
    'fare_media.txt': ['fare_media_id,fare_media_type', 'card,2', 'bank,3'],
    'fare_products.txt': ['fare_product_id,rider_category_id,fare_media_id,amount,currency', 'p1,adult,card,9,UAH', 'p1,adult,bank,10,UAH', 'p1,pupil,,5,UAH'],
  })
  const leg = [{ routeId: 'r1', departure: '2026-01-05T10:00:00+02:00' }]
  t.equal(price(tariff, { legs: leg }), '9.00', 'default category, any medium: cheapest')
  t.equal(price(tariff, { fareMediaId: 'bank', legs: leg }), '10.00')
  t.equal(price(tariff, { riderCategoryId: 'pupil', fareMediaId: 'bank', legs: leg }), '5.00', 'empty medium serves every medium')
  t.equal(
    codeOf(() => price(tariff, { riderCategoryId: 'alien', legs: leg })),
    'REQUEST_INVALID',
  )
  t.equal(
    codeOf(() => price(tariff, { fareMediaId: 'cash', legs: leg })),
    'REQUEST_INVALID',
  )
  const strict = feed({
    'fare_media.txt': ['fare_media_id,fare_media_type', 'card,2', 'bank,3'],
    'fare_products.txt': ['fare_product_id,fare_media_id,amount,currency', 'p1,card,9,UAH'],
  })
  t.equal(
    codeOf(() => price(strict, { fareMediaId: 'bank', legs: leg })),
    'FARE_NOT_FOUND',
    'no product for the medium',
  )
  t.equal(
    codeOf(() => price(strict, { legs: [{ routeId: 'nope', departure: '2026-01-05T10:00:00+02:00' }] })),
    'REQUEST_INVALID',
  )
  t.equal(
    codeOf(() => price(strict, { legs: [{ routeId: 'r1', departure: '2026-01-05 10:00' }] })),
    'REQUEST_INVALID',
    'a time without offset',
  )
})

t.test('join rules merge legs, but not where joining costs more', async (t) => {
  const base = {
    'stops.txt': ['stop_id', 'A', 'B', 'C'],
    'areas.txt': ['area_id', 'za', 'zb', 'zc'],
    'stop_areas.txt': ['area_id,stop_id', 'za,A', 'zb,B', 'zc,C'],
    'fare_leg_join_rules.txt': ['from_network_id,to_network_id', 'n1,n2'],
  }
  const legs: PriceRequest = {
    legs: [
      { routeId: 'r1', fromStopId: 'A', toStopId: 'B', departure: '2026-01-05T10:00:00+02:00', arrival: '2026-01-05T10:10:00+02:00' },
      { routeId: 'r2', fromStopId: 'B', toStopId: 'C', departure: '2026-01-05T10:15:00+02:00', arrival: '2026-01-05T10:30:00+02:00' },
    ],
  }
  const cheapJoin = feed({
    ...base,
    'fare_products.txt': ['fare_product_id,amount,currency', 'short,10,UAH', 'through,12,UAH'],
    'fare_leg_rules.txt': ['fare_product_id,from_area_id,to_area_id,rule_priority', 'short,,,0', 'through,za,zc,1'],
  })
  t.equal(price(cheapJoin, legs), '12.00', 'A -> C as one effective leg')
  const dearJoin = feed({
    ...base,
    'fare_products.txt': ['fare_product_id,amount,currency', 'short,10,UAH', 'through,25,UAH'],
    'fare_leg_rules.txt': ['fare_product_id,from_area_id,to_area_id,rule_priority', 'short,,,0', 'through,za,zc,1'],
  })
  t.equal(price(dearJoin, legs), '20.00', 'the join would cost more: two legs')
})
