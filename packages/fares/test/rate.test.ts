/**
 * Given taps, when rated, then charges: taps to legs, caps, concessions,
 * re-rating adjustments and the ledger helpers (docs/fares.md sections 3-5).
 */
import t from 'tap'
import { capStatus, diffRatings, FareError, priceJourney, type Rating, rate, rerateWindow, splitJourneyRevenue, type Tap, type Tariff } from '../src/index.ts'
import { demoTariff, entry, exit, feed } from './helpers.ts'

const amounts = (rating: Rating): Record<string, string> => Object.fromEntries(rating.charges.map((c) => [c.tapId, c.amount.toFixed(2)]))
const flagsOf = (rating: Rating, tapId: string): string[] => rating.charges.find((c) => c.tapId === tapId)?.flags ?? []

const zoneFeed = (caps?: string[]): Tariff =>
  feed({
    'stops.txt': ['stop_id', 'A', 'B', 'C'],
    'areas.txt': ['area_id', 'z1', 'z2', 'z3'],
    'stop_areas.txt': ['area_id,stop_id', 'z1,A', 'z2,B', 'z3,C'],
    'fare_products.txt': ['fare_product_id,amount,currency', 'one,10,UAH', 'two,20,UAH', 'three,30,UAH'],
    'fare_leg_rules.txt': [
      'network_id,from_area_id,to_area_id,fare_product_id',
      'n1,z1,z1,one',
      'n1,z1,z2,two',
      'n1,z1,z3,three',
      'n1,z2,z1,two',
      'n1,z2,z2,one',
      'n1,z2,z3,two',
    ],
    'fare_caps.txt': caps,
  })

t.test('tap-on/tap-off: pairing, incomplete legs at the maximum fare, unmatched exits', async (t) => {
  const tariff = zoneFeed()
  const rating = rate(tariff, {}, [
    entry('r1', '2026-01-05T08:00:00+02:00', { tapId: 'a1', stopId: 'A' }),
    exit('r1', '2026-01-05T08:20:00+02:00', { tapId: 'a2', stopId: 'B' }),
    entry('r1', '2026-01-05T09:00:00+02:00', { tapId: 'b1', stopId: 'A' }),
    entry('r1', '2026-01-05T09:30:00+02:00', { tapId: 'c1', stopId: 'B' }),
    exit('r1', '2026-01-05T09:40:00+02:00', { tapId: 'c2', stopId: 'B' }),
    exit('r1', '2026-01-05T12:00:00+02:00', { tapId: 'd2', stopId: 'A' }),
    entry('r1', '2026-01-05T13:00:00+02:00', { tapId: 'e1', stopId: 'A' }),
    exit('r1', '2026-01-05T15:00:01+02:00', { tapId: 'e2', stopId: 'C' }),
  ])
  t.same(amounts(rating), { a1: '20.00', a2: '0.00', b1: '30.00', c1: '10.00', c2: '0.00', d2: '0.00', e1: '30.00', e2: '0.00' })
  t.same(flagsOf(rating, 'b1'), ['incomplete'], 'another entry before an exit leaves the first leg incomplete, at the highest fare from z1')
  t.same(flagsOf(rating, 'd2'), ['unmatched_exit'])
  t.same(flagsOf(rating, 'e2'), ['unmatched_exit'], 'exit after maxJourneyMinutes (120) does not close the leg')
  t.same(flagsOf(rating, 'e1'), ['incomplete'])
  const late = rate(tariff, {}, [
    entry('r1', '2026-01-05T13:00:00+02:00', { tapId: 'e1', stopId: 'A' }),
    exit('r1', '2026-01-05T15:00:00+02:00', { tapId: 'e2', stopId: 'C' }),
  ])
  t.same(amounts(late), { e1: '30.00', e2: '0.00' }, 'exactly 120 minutes is inside')
  t.same(flagsOf(late, 'e1'), [])
})

t.test('incomplete legs bypass caps and do not count as spent', async (t) => {
  const tariff = zoneFeed(['cap_id,amount,currency,period', 'day,25.00,UAH,day'])
  const rating = rate(tariff, {}, [
    entry('r1', '2026-01-05T08:00:00+02:00', { tapId: 'x1', stopId: 'A' }),
    entry('r1', '2026-01-05T09:00:00+02:00', { tapId: 'y1', stopId: 'A' }),
    exit('r1', '2026-01-05T09:20:00+02:00', { tapId: 'y2', stopId: 'B' }),
    entry('r1', '2026-01-05T10:00:00+02:00', { tapId: 'z1', stopId: 'A' }),
    exit('r1', '2026-01-05T10:20:00+02:00', { tapId: 'z2', stopId: 'B' }),
  ])
  t.same(amounts(rating), { x1: '30.00', y1: '20.00', y2: '0.00', z1: '5.00', z2: '0.00' })
  t.same(flagsOf(rating, 'z1'), ['capped'])
  t.equal(rating.total.toFixed(2), '55.00')
})

t.test('double taps and group taps', async (t) => {
  const tariff = demoTariff()
  const taps: Tap[] = [
    entry('bus-10', '2026-04-06T08:00:00+03:00', { tapId: 'd1', deviceId: 'V1' }),
    entry('bus-10', '2026-04-06T08:00:03+03:00', { tapId: 'd2', deviceId: 'V1' }),
    entry('bus-10', '2026-04-06T08:00:05+03:00', { tapId: 'd3', deviceId: 'V1' }),
    entry('bus-10', '2026-04-06T08:00:06+03:00', { tapId: 'd4', deviceId: 'V1' }),
  ]
  const rating = rate(tariff, { riderCategoryId: 'adult' }, taps)
  t.same(amounts(rating), { d1: '18.00', d2: '0.00', d3: '0.00', d4: '18.00' }, '5 s inclusive from the first of the burst')
  t.same(flagsOf(rating, 'd3'), ['double_tap'])
  const group = rate(tariff, { riderCategoryId: 'adult' }, taps.slice(0, 3), { groupTap: true })
  t.same(amounts(group), { d1: '18.00', d2: '18.00', d3: '18.00' }, 'group taps are other passengers; the daily cap of 54 still holds')
  const capped = rate(tariff, { riderCategoryId: 'adult' }, taps, { groupTap: true })
  t.equal(capped.total.toFixed(2), '54.00')
})

t.test('demo tariff: transfer, concessions recorded at 0.00 with the full fare, category validity', async (t) => {
  const tariff = demoTariff()
  const taps = [
    entry('bus-10', '2026-04-06T08:00:00+03:00', { tapId: 'j1', stopId: 'S1' }),
    entry('trolley-1', '2026-04-06T09:00:00+03:00', { tapId: 'j2', stopId: 'S2' }),
  ]
  const adult = rate(tariff, {}, taps)
  t.same(amounts(adult), { j1: '18.00', j2: '5.00' }, '60 minutes inclusive: A + AB')
  t.equal(adult.charges[1]?.sentence, 'Transfer within 60 min: 5.00 UAH')
  t.equal(adult.charges[1]?.journeyId, 'j1')
  const split = splitJourneyRevenue(adult, 'j1')
  t.same(Object.fromEntries([...split].map(([k, v]) => [k, v.toFixed(2)])), { 'lutsk-bus': '12.55', 'lutsk-trolley': '10.45' })
  const pensioner = rate(tariff, { riderCategoryId: 'pensioner' }, taps)
  t.same(amounts(pensioner), { j1: '0.00', j2: '0.00' })
  t.same(
    pensioner.charges.map((c) => c.fullFare.toFixed(2)),
    ['18.00', '5.00'],
    'what an adult would have paid',
  )
  const pupil = rate(tariff, { riderCategoryId: 'pupil', riderCategoryValidTo: '2026-04-05' }, taps)
  t.same(amounts(pupil), { j1: '18.00', j2: '5.00' }, 'after the validity date the default category applies')
  const pupilValid = rate(tariff, { riderCategoryId: 'pupil', riderCategoryValidFrom: '2026-04-01', riderCategoryValidTo: '2026-04-30' }, taps)
  t.same(amounts(pupilValid), { j1: '9.00', j2: '2.50' })
  t.throws(() => rate(tariff, { riderCategoryId: 'alien' }, taps), { code: 'REQUEST_INVALID' })
  t.throws(
    () => rate(tariff, {}, [...taps, { ...(taps[0] as Tap), routeId: 'bus-2' }]),
    { code: 'REQUEST_INVALID' },
    'the same tap id with other content conflicts',
  )
  t.same(amounts(rate(tariff, {}, [...taps, ...taps])), { j1: '18.00', j2: '5.00' }, 'a repeated tap counts once')
  const e = (() => {
    try {
      rate(tariff, {}, [entry('nope', '2026-04-06T08:00:00+03:00')])
    } catch (error) {
      return error
    }
    return undefined
  })()
  t.ok(e instanceof FareError && e.code === 'REQUEST_INVALID')
})

t.test('day_start_time: 03:59:59 belongs to the day before, 04:00:00 to the new day (Europe/Kyiv, across DST)', async (t) => {
  const tariff = demoTariff()
  // Each ride on its own validator, so that rides a second apart are not double taps.
  const rideAt = (time: string, tapId: string): Tap => entry('bus-10', time, { tapId, stopId: 'S1', deviceId: tapId })
  for (const [label, day, next, offset] of [
    ['winter', '2026-03-27', '2026-03-28', '+02:00'],
    ['spring-forward night', '2026-03-28', '2026-03-29', '+03:00'],
    ['fall-back night', '2026-10-24', '2026-10-25', '+02:00'],
  ] as const) {
    const rating = rate(tariff, {}, [
      rideAt(`${day}T10:00:00+0${label === 'fall-back night' ? 3 : 2}:00`, 'a'),
      rideAt(`${day}T12:00:00+0${label === 'fall-back night' ? 3 : 2}:00`, 'b'),
      rideAt(`${day}T14:00:00+0${label === 'fall-back night' ? 3 : 2}:00`, 'c'),
      rideAt(`${next}T03:59:59${offset}`, 'd'),
      rideAt(`${next}T04:00:00${offset}`, 'e'),
    ])
    t.same(amounts(rating), { a: '18.00', b: '18.00', c: '18.00', d: '0.00', e: '18.00' }, label)
  }
})

t.test('rolling windows, month ends and several caps at once', async (t) => {
  const capFeed = (rows: string[]): Tariff => feed({ 'fare_caps.txt': ['cap_id,amount,currency,period,duration_days,week_start_day,day_start_time', ...rows] })
  const ride = (time: string, tapId: string): Tap => entry('r1', time, { tapId, deviceId: tapId })
  const rolling = capFeed(['seven,25.00,UAH,rolling,7,,'])
  // 2026-03-26 10:00 +02:00 plus 168 real hours is 2026-04-02 11:00 +03:00 (the clocks went forward).
  const r = rate(rolling, {}, [
    ride('2026-03-26T10:00:00+02:00', 'a'),
    ride('2026-03-30T10:00:00+03:00', 'b'),
    ride('2026-04-02T10:59:59+03:00', 'c'),
    ride('2026-04-02T11:00:00+03:00', 'd'),
    ride('2026-04-03T09:00:00+03:00', 'e'),
  ])
  t.same(amounts(r), { a: '10.00', b: '10.00', c: '5.00', d: '10.00', e: '10.00' }, '168 h across the clock change; the next window opens at d')
  const monthly = capFeed(['month,25.00,UAH,month,,,'])
  const m = rate(monthly, {}, [
    ride('2026-01-30T10:00:00+02:00', 'a'),
    ride('2026-01-31T23:59:59+02:00', 'b'),
    ride('2026-01-31T23:59:59.500+02:00', 'c'),
    ride('2026-02-01T00:00:00+02:00', 'd'),
  ])
  t.same(amounts(m), { a: '10.00', b: '10.00', c: '5.00', d: '10.00' }, 'a new month at local midnight')
  const several = capFeed(['day,25.00,UAH,day,,,', 'week,40.00,UAH,week,,monday,'])
  const s = rate(several, {}, [
    ride('2026-01-05T08:00:00+02:00', 'm1'),
    ride('2026-01-05T09:00:00+02:00', 'm2'),
    ride('2026-01-05T10:00:00+02:00', 'm3'),
    ride('2026-01-06T08:00:00+02:00', 't1'),
    ride('2026-01-06T09:00:00+02:00', 't2'),
    ride('2026-01-11T23:00:00+02:00', 's1'),
    ride('2026-01-12T08:00:00+02:00', 'n1'),
  ])
  t.same(amounts(s), { m1: '10.00', m2: '10.00', m3: '5.00', t1: '10.00', t2: '5.00', s1: '0.00', n1: '10.00' }, 'day and week caps: the lowest headroom wins')
  const t2 = s.charges.find((c) => c.tapId === 't2')
  t.ok(t2?.explanation.kind === 'fare' && t2.explanation.caps.find((c) => c.capId === 'week')?.limiting, 'the week cap limited t2')
  t.match(t2?.sentence ?? '', /^Weekly cap of 40.00 UAH/)
})

t.test('re-rating: adjustments with reasons sum to the change', async (t) => {
  const tariff = demoTariff()
  const early = entry('bus-10', '2026-04-06T08:00:00+03:00', { tapId: 'k1' })
  const later = [
    entry('trolley-1', '2026-04-06T08:30:00+03:00', { tapId: 'k2' }),
    entry('bus-2', '2026-04-06T12:00:00+03:00', { tapId: 'k3' }),
    entry('bus-2', '2026-04-06T18:00:00+03:00', { tapId: 'k4' }),
  ]
  const before = rate(tariff, {}, later)
  const after = rate(tariff, {}, [early, ...later])
  t.same(amounts(before), { k2: '15.00', k3: '18.00', k4: '18.00' })
  t.same(amounts(after), { k1: '18.00', k2: '5.00', k3: '18.00', k4: '13.00' })
  const adjustments = diffRatings(before, after, { newTapIds: new Set(['k1']) })
  t.same(
    adjustments.map((a) => [a.tapId, a.reason, a.delta.toFixed(2)]),
    [
      ['k1', 'new_tap', '18.00'],
      ['k2', 'late_tap', '-10.00'],
      ['k4', 'late_tap', '-5.00'],
    ],
  )
  const sum = adjustments.reduce((acc, a) => acc.plus(a.delta), before.total.minus(before.total))
  t.equal(sum.toFixed(2), after.total.minus(before.total).toFixed(2))

  const zones = zoneFeed()
  const open = rate(zones, {}, [entry('r1', '2026-01-05T08:00:00+02:00', { tapId: 'o1', stopId: 'A' })])
  const closed = rate(zones, {}, [
    entry('r1', '2026-01-05T08:00:00+02:00', { tapId: 'o1', stopId: 'A' }),
    exit('r1', '2026-01-05T08:10:00+02:00', { tapId: 'o2', stopId: 'A' }),
  ])
  t.same(
    diffRatings(open, closed, { newTapIds: new Set(['o2']) }).map((a) => [a.tapId, a.reason, a.delta.toFixed(2)]),
    [
      ['o1', 'exit_completed', '-20.00'],
      ['o2', 'new_tap', '0.00'],
    ],
  )
  const cheaper = feed({ 'fare_products.txt': ['fare_product_id,amount,currency', 'p1,8.00,UAH'] })
  const original = feed({})
  const taps = [entry('r1', '2026-01-05T08:00:00+02:00', { tapId: 'c1' })]
  t.same(
    diffRatings(rate(original, {}, taps), rate(cheaper, {}, taps), { newTapIds: new Set() }).map((a) => [a.reason, a.delta.toFixed(2)]),
    [['tariff_correction', '-2.00']],
  )
})

t.test('rerateWindow and capStatus', async (t) => {
  const tariff = demoTariff()
  t.same(
    rerateWindow(tariff, '2026-04-15T12:00:00+03:00'),
    { from: '2026-04-01T02:00:00+03:00', to: '2026-05-01T06:00:00+03:00' },
    'the month from 04:00, widened by 120 minutes',
  )
  const rating = rate(tariff, { riderCategoryId: 'adult' }, [
    entry('bus-10', '2026-04-06T08:00:00+03:00', { tapId: 's1' }),
    entry('bus-10', '2026-04-06T12:00:00+03:00', { tapId: 's2' }),
  ])
  const status = capStatus(tariff, { riderCategoryId: 'adult' }, rating, '2026-04-06T20:00:00+03:00')
  t.same(
    status.map((s) => [s.capId, s.window.start, s.spent.toFixed(2), s.remaining.toFixed(2)]),
    [
      ['adult-day', '2026-04-06T04:00:00+03:00', '36.00', '18.00'],
      ['adult-month', '2026-04-01T04:00:00+03:00', '36.00', '864.00'],
    ],
  )
})

t.test('at most 65,536 taps per call (legs per price request): more is REQUEST_INVALID', async (t) => {
  const tariff = feed({})
  const start = Date.parse('2026-01-05T08:00:00Z')
  const taps = (n: number): Tap[] =>
    Array.from({ length: n }, (_, i) => ({ tapId: `m${i}`, kind: 'entry', routeId: 'r1', time: new Date(start + i * 60_000).toISOString() }))
  const limit = 65_536
  const rating = rate(tariff, {}, taps(limit))
  t.equal(rating.charges.length, limit, 'the limit itself is rated')
  t.equal(rating.total.toFixed(2), (10 * limit).toFixed(2))
  t.throws(() => rate(tariff, {}, taps(limit + 1)), { code: 'REQUEST_INVALID', message: /too many taps in one call: 65537; at most 65,536/ })
  const legs = Array.from({ length: limit + 1 }, (_, i) => ({ routeId: 'r1', departure: new Date(start + i * 60_000).toISOString() }))
  t.throws(() => priceJourney(tariff, { legs }), { code: 'REQUEST_INVALID', message: /too many legs in one call: 65537/ })
})

/** A -> B on network n1, B -> C on n2, joinable; adult and pupil products as given. */
const joinFeed = (products: readonly string[]): Tariff =>
  feed({
    'stops.txt': ['stop_id', 'A', 'B', 'C'],
    'areas.txt': ['area_id', 'za', 'zb', 'zc'],
    'stop_areas.txt': ['area_id,stop_id', 'za,A', 'zb,B', 'zc,C'],
    'rider_categories.txt': ['rider_category_id,is_default_fare_category', 'adult,1', 'pupil,0'],
    'fare_leg_join_rules.txt': ['from_network_id,to_network_id', 'n1,n2'],
    'fare_products.txt': ['fare_product_id,rider_category_id,amount,currency', ...products],
    'fare_leg_rules.txt': ['fare_product_id,from_area_id,to_area_id,rule_priority', 'short,,,0', 'through,za,zc,1'],
  })
const fullFareTotal = (rating: Rating): string => rating.charges.reduce((sum, c) => sum.plus(c.fullFare), rating.total.minus(rating.total)).toFixed(2)

t.test('concession full fare when the default category groups legs differently (joins)', async (t) => {
  // Joining A -> C into one effective leg is cheaper for an adult (12 against 10 + 10) but dearer
  // for a pupil (8 against 3 + 3), so the two categories cut the same legs differently. What an
  // adult would have paid (12) must still be shared over the pupil's legs, summing exactly to it.
  const tariff = joinFeed(['short,adult,10,UAH', 'short,pupil,3,UAH', 'through,adult,12,UAH', 'through,pupil,8,UAH'])
  const taps = [
    entry('r1', '2026-01-05T10:00:00+02:00', { tapId: 'k1', stopId: 'A' }),
    exit('r1', '2026-01-05T10:10:00+02:00', { tapId: 'k2', stopId: 'B' }),
    entry('r2', '2026-01-05T10:15:00+02:00', { tapId: 'k3', stopId: 'B' }),
    exit('r2', '2026-01-05T10:30:00+02:00', { tapId: 'k4', stopId: 'C' }),
  ]
  const adult = rate(tariff, { riderCategoryId: 'adult' }, taps)
  t.equal(adult.total.toFixed(2), '12.00', 'the adult joins the legs')
  const pupil = rate(tariff, { riderCategoryId: 'pupil' }, taps)
  t.equal(pupil.total.toFixed(2), '6.00', 'the pupil does not')
  t.equal(fullFareTotal(pupil), '12.00', 'the full fares add up to what the adult pays')
  for (const c of pupil.charges.filter((c) => c.amount.isPositive()))
    t.ok(c.fullFare.greaterThanOrEqualTo(c.amount), `${c.tapId}: full fare ${c.fullFare.toFixed(2)} covers what the pupil paid ${c.amount.toFixed(2)}`)
  // The other way round: the pupil joins (through 8 against 5 + 5), the adult does not (12 against 6 + 6).
  const reverse = joinFeed(['short,adult,6,UAH', 'short,pupil,5,UAH', 'through,adult,13,UAH', 'through,pupil,8,UAH'])
  const pupil2 = rate(reverse, { riderCategoryId: 'pupil' }, taps)
  t.equal(pupil2.total.toFixed(2), '8.00')
  t.equal(fullFareTotal(pupil2), '12.00', 'both adult legs count')
})
