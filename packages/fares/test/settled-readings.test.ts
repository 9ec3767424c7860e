/**
 * The six readings docs/fares.md settles, each written from its text: given a
 * small feed and taps or legs, when rated or priced, then the charges.
 */
import t from 'tap'
import { type FareError, type PriceRequest, priceJourney, type Rating, rate, runCli as runCliInProcess, type Tap, type Tariff } from '../src/index.ts'
import { runCli } from './cli-runner.ts'
import { demoTariff, demoTariffPath, feed } from './helpers.ts'

const price = (tariff: Tariff, request: PriceRequest): string => priceJourney(tariff, request).total.toFixed(2)
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (error) {
    return (error as FareError).code
  }
  return undefined
}
const amounts = (rating: Rating): Record<string, string> => Object.fromEntries(rating.charges.map((c) => [c.tapId, c.amount.toFixed(2)]))
const oneLeg = (routeId: string, fromStopId: string, departure = '2026-01-05T10:00:00+02:00'): PriceRequest => ({ legs: [{ routeId, fromStopId, departure }] })

/** M is in two areas (zA listed by a rule, zB listed by none), L only in zA, N in no area. No rule_priority column. */
const severalAreas = (legRules: readonly string[]): Tariff =>
  feed({
    'stops.txt': ['stop_id', 'M', 'L', 'N'],
    'areas.txt': ['area_id', 'zA', 'zB'],
    'stop_areas.txt': ['area_id,stop_id', 'zA,M', 'zB,M', 'zA,L'],
    'fare_products.txt': ['fare_product_id,amount,currency', 'inA,5.00,UAH', 'elsewhere,3.00,UAH'],
    'fare_leg_rules.txt': ['network_id,from_area_id,fare_product_id', ...legRules],
  })

t.test(
  'a stop in several areas matches an empty area field when any one of its areas is unlisted, ' +
    'a listed one when it is one of its areas; a stop in no area only an empty one',
  async (t) => {
    const tariff = severalAreas(['n1,zA,inA', 'n2,,elsewhere'])
    t.equal(price(tariff, oneLeg('r2', 'M')), '3.00', 'M is in zB, which no rule lists: the empty area field matches though M is also in the listed zA')
    t.equal(
      codeOf(() => price(tariff, oneLeg('r2', 'L'))),
      'FARE_NOT_FOUND',
      'L is only in the listed zA: the empty field does not match',
    )
    t.equal(price(tariff, oneLeg('r2', 'N')), '3.00', 'a stop in no area matches the empty field')
    t.equal(price(tariff, oneLeg('r1', 'M')), '5.00', "the listed zA is one of M's areas")
    t.equal(price(tariff, oneLeg('r1', 'L')), '5.00', "zA is L's one area")
    t.equal(
      codeOf(() => price(tariff, oneLeg('r1', 'N'))),
      'FARE_NOT_FOUND',
      'a stop in no area never matches a listed area field',
    )
  },
)

t.test(
  'a rule is exact when every non-empty field of it matches: a rule with empty fields is exact too, and all exact rules apply (the cheapest wins)',
  async (t) => {
    const tariff = severalAreas(['n1,zA,inA', 'n1,,elsewhere'])
    t.equal(
      price(tariff, oneLeg('r1', 'M')),
      '3.00',
      'both rules are exact for M (n1 and zA; n1 and an empty area field M matches through zB): the cheaper applies',
    )
    t.equal(price(tariff, oneLeg('r1', 'L')), '5.00', 'for L only the zA rule matches')
    t.equal(price(tariff, oneLeg('r1', 'N')), '3.00', 'for N only the empty-area rule matches')
  },
)

t.test("a platform always takes its station's time zone (else the agency's), never its own", async (t) => {
  // Kyiv 08:00 is peak; the same instant is 01:00 in New York and 15:00 in Tokyo.
  const tariff = feed({
    'stops.txt': [
      'stop_id,location_type,parent_station,stop_timezone',
      'ST,1,,',
      'P1,0,ST,America/New_York',
      'ST2,1,,Asia/Tokyo',
      'P2,0,ST2,America/New_York',
      'BA,4,P1,Asia/Tokyo',
      'X,0,,America/New_York',
    ],
    'calendar.txt': ['service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date', 'all,1,1,1,1,1,1,1,20260101,20261231'],
    'timeframes.txt': ['timeframe_group_id,start_time,end_time,service_id', 'peak,07:00:00,10:00:00,all'],
    'fare_products.txt': ['fare_product_id,amount,currency', 'peak,20.00,UAH', 'off,10.00,UAH'],
    'fare_leg_rules.txt': ['network_id,from_timeframe_group_id,fare_product_id,rule_priority', 'n1,peak,peak,1', 'n1,,off,0'],
  })
  const at8 = (stop: string): string => price(tariff, oneLeg('r1', stop, '2026-01-05T08:00:00+02:00'))
  t.equal(at8('P1'), '20.00', "P1 says New York, its station none: the agency's Kyiv, 08:00, peak")
  t.equal(at8('BA'), '20.00', "a boarding area of P1 also takes the station's (none: the agency's), not its own Tokyo")
  t.equal(at8('P2'), '10.00', 'P2 says New York, its station Tokyo: 15:00, off-peak')
  t.equal(at8('ST'), '20.00', "the station itself: no zone, the agency's")
  t.equal(at8('X'), '10.00', 'a stop without a station keeps its own zone: New York, 01:00')
  const rating = rate(tariff, {}, [{ tapId: 'p1', kind: 'entry', routeId: 'r1', stopId: 'P1', time: '2026-01-05T08:00:00+02:00' }])
  t.equal(rating.charges[0]?.amount.toFixed(2), '20.00', 'rating a tap at the platform too')
})

t.test("a join rule's from_stop_id/to_stop_id naming a station matches any of its platforms", async (t) => {
  const joinFeed = (joinRule: string): Tariff =>
    feed({
      'stops.txt': ['stop_id,location_type,parent_station', 'A,0,', 'C,0,', 'ST,1,', 'P1,0,ST', 'P2,0,ST', 'ST2,1,', 'Q1,0,ST2'],
      'areas.txt': ['area_id', 'za', 'zc'],
      'stop_areas.txt': ['area_id,stop_id', 'za,A', 'zc,C'],
      'fare_leg_join_rules.txt': ['from_network_id,to_network_id,from_stop_id,to_stop_id', joinRule],
      'fare_products.txt': ['fare_product_id,amount,currency', 'short,10.00,UAH', 'through,12.00,UAH'],
      'fare_leg_rules.txt': ['fare_product_id,from_area_id,to_area_id,rule_priority', 'short,,,0', 'through,za,zc,1'],
    })
  const via = (alight: string, board: string): PriceRequest => ({
    legs: [
      { routeId: 'r1', fromStopId: 'A', toStopId: alight, departure: '2026-01-05T10:00:00+02:00', arrival: '2026-01-05T10:10:00+02:00' },
      { routeId: 'r2', fromStopId: board, toStopId: 'C', departure: '2026-01-05T10:15:00+02:00', arrival: '2026-01-05T10:30:00+02:00' },
    ],
  })
  t.equal(price(joinFeed('n1,n2,ST,ST'), via('P1', 'P2')), '12.00', 'alight at P1, board at P2, both platforms of the named station: one effective leg A -> C')
  t.equal(price(joinFeed('n1,n2,ST,ST'), via('ST', 'P2')), '12.00', 'the station itself still matches')
  t.equal(price(joinFeed('n1,n2,ST,ST'), via('P1', 'Q1')), '20.00', 'Q1 belongs to another station: no join')
  t.equal(price(joinFeed('n1,n2,P1,P2'), via('P1', 'P2')), '12.00', 'a rule naming the platforms matches them')
  t.equal(price(joinFeed('n1,n2,P1,P1'), via('P1', 'P2')), '20.00', 'a rule naming a platform does not cover its sister platform')
})

t.test('a leg with no leg group matches no transfer rule, empty or not', async (t) => {
  const header = 'from_leg_group_id,to_leg_group_id,transfer_count,duration_limit,duration_limit_type,fare_transfer_type,fare_product_id'
  const twoLegs: PriceRequest = {
    legs: [
      { routeId: 'r1', departure: '2026-01-05T10:00:00+02:00' },
      { routeId: 'r2', departure: '2026-01-05T10:10:00+02:00' },
    ],
  }
  const noGroups = feed({
    'fare_leg_rules.txt': ['network_id,fare_product_id', 'n1,p1', 'n2,p1'],
    'fare_transfer_rules.txt': [header, ',,-1,3600,1,0,'],
  })
  t.equal(price(noGroups, twoLegs), '20.00', 'legs without a group: the free empty -> empty transfer does not apply')
  const secondUngrouped = feed({
    'fare_leg_rules.txt': ['leg_group_id,network_id,fare_product_id', 'g1,n1,p1', ',n2,p1'],
    'fare_transfer_rules.txt': [header, 'g1,,,3600,1,0,'],
  })
  t.equal(price(secondUngrouped, twoLegs), '20.00', 'g1 -> (no group): the empty to_leg_group_id does not match a leg without a group')
  const secondUnlisted = feed({
    'fare_leg_rules.txt': ['leg_group_id,network_id,fare_product_id', 'g1,n1,p1', 'g2,n2,p1'],
    'fare_transfer_rules.txt': [header, 'g1,,,3600,1,0,'],
  })
  t.equal(price(secondUnlisted, twoLegs), '10.00', 'contrast: a leg in a group no rule lists matches the empty field')
  const rating = rate(noGroups, {}, [
    { tapId: 'a', kind: 'entry', routeId: 'r1', time: '2026-01-05T10:00:00+02:00' },
    { tapId: 'b', kind: 'entry', routeId: 'r2', time: '2026-01-05T10:10:00+02:00' },
  ])
  t.same(amounts(rating), { a: '10.00', b: '10.00' }, 'rated taps: two journeys')
})

t.test('times carry milliseconds: finer digits are cut off, not rounded, in any RFC 3339 form', async (t) => {
  const peak = feed({
    'calendar.txt': ['service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date', 'all,1,1,1,1,1,1,1,20260101,20261231'],
    'timeframes.txt': ['timeframe_group_id,start_time,end_time,service_id', 'peak,07:00:00,10:00:00,all'],
    'fare_products.txt': ['fare_product_id,amount,currency', 'peak,20.00,UAH', 'off,10.00,UAH'],
    'fare_leg_rules.txt': ['network_id,from_timeframe_group_id,fare_product_id,rule_priority', 'n1,peak,peak,1', 'n1,,off,0'],
  })
  const at = (departure: string): string => price(peak, { legs: [{ routeId: 'r1', departure }] })
  t.equal(at('2026-01-05T06:59:59.9999+02:00'), '10.00', '06:59:59.9999 is 06:59:59.999 (rounding would make it 07:00, peak)')
  t.equal(at('2026-01-05T06:59:59.999999999999+02:00'), '10.00', 'more than 9 fraction digits')
  t.equal(at('2026-01-05T04:59:59.99999999999999999999Z'), '10.00', 'twenty nines are still before 07:00 local')
  t.equal(at('2026-01-05t07:00:00.000z'), '20.00', 'lower-case t and z')
  t.equal(at('2026-01-05T05:00:00.5-00:00'), '20.00', '-00:00 is UTC')
  t.equal(at('2026-01-05T04:59:60Z'), '20.00', "a leap second :60 is the next minute's :00 (as Postgres reads it)")
  t.equal(
    codeOf(() => at('2026-01-05T04:59:61Z')),
    'REQUEST_INVALID',
    'second 61 does not exist',
  )
  t.equal(
    codeOf(() => at('2026-01-05T07:00:00.+02:00')),
    'REQUEST_INVALID',
    'a fraction needs a digit',
  )

  // A 3600 s transfer limit is inclusive; 3600.0009 s cut off is 3600.000 s (rounded it would be 3600.001, outside).
  const transfer = feed({
    'fare_transfer_rules.txt': ['from_leg_group_id,to_leg_group_id,duration_limit,duration_limit_type,fare_transfer_type', 'g1,g2,3600,1,0'],
  })
  const legs = (second: string): PriceRequest => ({
    legs: [
      { routeId: 'r1', departure: '2026-01-05T10:00:00Z' },
      { routeId: 'r2', departure: second },
    ],
  })
  t.equal(price(transfer, legs('2026-01-05T11:00:00.0009Z')), '10.00', '3600.0009 s is 3600 s: inside the limit, the transfer is free')
  t.equal(price(transfer, legs('2026-01-05T11:00:00.001Z')), '20.00', '3600.001 s is outside')
})

t.test('tap ids order by Unicode code point', async (t) => {
  // U+FF5E (a BMP character) sorts before U+1F600 by code point, after it by UTF-16 code unit.
  const bmp = '\uFF5E',
    astral = '\u{1F600}'
  const taps: Tap[] = [
    { tapId: astral, kind: 'entry', routeId: 'bus-10', deviceId: 'V1', time: '2026-04-06T08:00:00+03:00' },
    { tapId: bmp, kind: 'entry', routeId: 'bus-10', deviceId: 'V1', time: '2026-04-06T08:00:00+03:00' },
  ]
  for (const order of [taps, [...taps].reverse()]) {
    const rating = rate(demoTariff(), {}, order)
    t.same(
      rating.charges.map((c) => c.tapId),
      [bmp, astral],
      'same instant: the lower code point first',
    )
    t.same(amounts(rating), { [bmp]: '18.00', [astral]: '0.00' }, 'the first of the double tap pays')
  }
})

t.test('the same tap id twice: same content (times compared as instants) counts once, other content is REQUEST_INVALID', async (t) => {
  const tap = (time: string, extra: Partial<Tap> = {}): Tap => ({ tapId: 'x', kind: 'entry', routeId: 'bus-10', stopId: 'S1', time, ...extra })
  const once = rate(demoTariff(), {}, [tap('2026-04-06T11:19:00+02:00'), tap('2026-04-06T09:19:00Z')])
  t.same(amounts(once), { x: '18.00' }, '11:19+02:00 and 09:19Z are one instant: counted once')
  const reversed = rate(demoTariff(), {}, [tap('2026-04-06T09:19:00Z'), tap('2026-04-06T11:19:00+02:00')])
  t.same(JSON.parse(JSON.stringify(reversed)), JSON.parse(JSON.stringify(once)), 'the same charges whichever copy comes first')
  t.same(
    amounts(rate(demoTariff(), {}, [tap('2026-04-06T09:19:00.1234Z'), tap('2026-04-06T09:19:00.123999Z')])),
    { x: '18.00' },
    'equal once cut to milliseconds',
  )
  t.equal(
    codeOf(() => rate(demoTariff(), {}, [tap('2026-04-06T11:19:00+02:00'), tap('2026-04-06T11:19:00Z')])),
    'REQUEST_INVALID',
    'another instant',
  )
  t.equal(
    codeOf(() => rate(demoTariff(), {}, [tap('2026-04-06T09:19:00Z'), tap('2026-04-06T09:19:00Z', { stopId: 'S2' })])),
    'REQUEST_INVALID',
    'another stop',
  )
})

t.test('the command line reads times the same way', async (t) => {
  const body = (taps: unknown[]): string => JSON.stringify({ taps })
  const tap = (tapId: string, time: string): unknown => ({ tapId, kind: 'entry', routeId: 'bus-10', stopId: 'S1', time })
  const cases = [
    { name: 'many fraction digits, lower case', input: body([tap('a', '2026-04-06t08:00:00.123456789012z')]), code: 0, charges: { a: '18.00' } },
    {
      name: 'one instant in two forms',
      input: body([tap('a', '2026-04-06T11:19:00+02:00'), tap('a', '2026-04-06T09:19:00Z')]),
      code: 0,
      charges: { a: '18.00' },
    },
    { name: 'one id, two instants', input: body([tap('a', '2026-04-06T11:19:00+02:00'), tap('a', '2026-04-06T11:19:00Z')]), code: 2, error: 'REQUEST_INVALID' },
  ]
  for (const c of cases) {
    const inProcess = runCliInProcess(['rate', '--feed', demoTariffPath], c.input)
    const child = await runCli(['rate', '--feed', demoTariffPath], c.input)
    const out = JSON.parse(child.stdout) as { charges?: { tapId: string; amount: string }[]; error?: { code: string } }
    t.equal(child.code, c.code, `${c.name}: exit code`)
    t.equal(inProcess.exitCode, c.code, `${c.name}: exit code in process`)
    if (c.error !== undefined) t.equal(out.error?.code, c.error, c.name)
    else t.same(Object.fromEntries((out.charges ?? []).map((ch) => [ch.tapId, ch.amount])), c.charges, c.name)
  }
})
