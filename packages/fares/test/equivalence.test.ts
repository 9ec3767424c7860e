/**
 * The optimised engine against the reference (src/reference: the plain
 * Decimal implementation as it was before the performance work). For random
 * tap sets on several tariffs, every output must be byte-for-byte the same
 * JSON: amounts, flags, journeys, full and leg fares, explanations with their
 * cap windows, sentences, and errors (code and message). The ledger stores
 * explanation JSON per charge, so "the same charges" means all of it.
 */
import t from 'tap'
import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { FareError, loadFeed, priceJourney, rate, toJson, type CardProfile, type PriceRequest, type RateOptions, type Tap, type Tariff } from '../src/index.ts'
import { rate as referenceRate } from '../src/reference/rate.ts'
import { priceJourney as referencePrice } from '../src/reference/price.ts'
import { demoTariff, feed, fixturesRoot } from './helpers.ts'
import { zoneTariff, ZONE_ROUTES, ZONE_STOPS } from '../../../bench/fares-zone-tariff.ts'

const BASE_MS = Date.parse('2026-03-27T02:00:00+02:00') // spans the spring-forward night in Kyiv (29 March)

function outcome(run: () => { currency: string }): string {
  try {
    const result = run()
    return JSON.stringify(toJson(result, result.currency))
  } catch (error) {
    if (error instanceof FareError) return `error ${error.code}: ${error.message} ${JSON.stringify(error.details ?? null)}`
    throw error
  }
}

function same(tariff: Tariff, profile: CardProfile, taps: readonly Tap[], options?: RateOptions): boolean {
  const fast = outcome(() => rate(tariff, profile, taps, options))
  const reference = outcome(() => referenceRate(tariff, profile, taps, options))
  if (fast !== reference) {
    // Shown by fast-check with the counterexample.
    throw new Error(`fast and reference differ\nfast:      ${fast}\nreference: ${reference}`)
  }
  return true
}

interface RawTap { route: number; stop: number; minute: number; second: number; kind: 'entry' | 'exit'; device: number; timeStyle: number }

const rawTapArb = (routes: number, stops: number, days: number, exitShare: number): fc.Arbitrary<RawTap> => fc.record({
  route: fc.integer({ min: 0, max: routes - 1 }),
  stop: fc.integer({ min: 0, max: stops - 1 }),
  minute: fc.integer({ min: 0, max: days * 24 * 60 }),
  second: fc.integer({ min: 0, max: 59 }),
  kind: fc.integer({ min: 0, max: 99 }).map((x): 'entry' | 'exit' => (x < exitShare ? 'exit' : 'entry')),
  device: fc.integer({ min: 0, max: 3 }),
  timeStyle: fc.integer({ min: 0, max: 2 }),
})

function timeText(ms: number, style: number): string {
  if (style === 0) return new Date(ms).toISOString()
  const offset = style === 1 ? 120 : -300
  const local = new Date(ms + offset * 60_000).toISOString().slice(0, 19)
  const sign = offset < 0 ? '-' : '+'
  const abs = Math.abs(offset)
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
}

function tapsFrom(raw: readonly RawTap[], routes: readonly string[], stops: readonly (string | undefined)[], withDevices: boolean): Tap[] {
  return raw.map((x, i) => {
    const stopId = stops[x.stop]
    const tap: { -readonly [K in keyof Tap]: Tap[K] } = {
      tapId: `k${String(i).padStart(3, '0')}`, kind: x.kind, routeId: routes[x.route] as string,
      time: timeText(BASE_MS + x.minute * 60_000 + x.second * 1000, x.timeStyle),
    }
    if (stopId !== undefined) tap.stopId = stopId
    if (withDevices && x.device > 0) tap.deviceId = `dev-${x.device}`
    return tap
  })
}

/** Some taps a few seconds after another one (double taps, group taps), some repeated verbatim. */
const burstArb = fc.array(fc.record({ of: fc.nat(), seconds: fc.integer({ min: 0, max: 8 }), repeat: fc.boolean() }), { maxLength: 6 })

function withBursts(taps: Tap[], bursts: readonly { of: number; seconds: number; repeat: boolean }[]): Tap[] {
  if (taps.length === 0) return taps
  const out = [...taps]
  bursts.forEach((b, i) => {
    const source = taps[b.of % taps.length] as Tap
    if (b.repeat) out.push(source)
    else out.push({ ...source, tapId: `${source.tapId}-b${i}`, time: new Date(Date.parse(source.time) + b.seconds * 1000).toISOString() })
  })
  return out
}

const optionsArb = fc.record({
  maxJourneyMinutes: fc.constantFrom(undefined, 30, 120),
  duplicateTapSeconds: fc.constantFrom(undefined, 0, 5),
  groupTap: fc.constantFrom(undefined, false, true),
}).map((o): RateOptions => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)))

const RUNS = { numRuns: 150 }

t.test('demo tariff: random months of taps, every category and medium', async () => {
  const tariff = demoTariff()
  const routes = ['bus-2', 'bus-10', 'bus-15', 'bus-30', 'trolley-1', 'trolley-4', 'trolley-7']
  const stops = [undefined, 'S1', 'S2', 'S3', 'S7', 'S12']
  const profileArb = fc.record({
    riderCategoryId: fc.constantFrom(undefined, 'adult', 'pupil', 'student', 'pensioner', 'veteran'),
    fareMediaId: fc.constantFrom(undefined, 'transit-card', 'bank-card'),
    validity: fc.constantFrom(0, 1, 2),
  }).map((p): CardProfile => {
    const out: { -readonly [K in keyof CardProfile]: CardProfile[K] } = {}
    if (p.riderCategoryId !== undefined) out.riderCategoryId = p.riderCategoryId
    if (p.fareMediaId !== undefined) out.fareMediaId = p.fareMediaId
    if (p.validity === 1) out.riderCategoryValidTo = '2026-03-28'
    if (p.validity === 2) out.riderCategoryValidFrom = '2026-03-29'
    return out
  })
  fc.assert(fc.property(fc.array(rawTapArb(routes.length, stops.length, 5, 5), { maxLength: 60 }), burstArb, profileArb, optionsArb, fc.boolean(), (raw, bursts, profile, options, devices) =>
    same(tariff, profile, withBursts(tapsFrom(raw, routes, stops, devices), bursts), options)), RUNS)
})

t.test('demo tariff: dense taps (many transfers and caps within an hour or a day)', async () => {
  const tariff = demoTariff()
  const routes = ['bus-2', 'trolley-1', 'bus-10', 'trolley-4']
  fc.assert(fc.property(fc.array(rawTapArb(routes.length, 1, 1, 0), { maxLength: 40 }), fc.constantFrom(undefined, 'pupil', 'pensioner'), (raw, category) =>
    same(tariff, category === undefined ? {} : { riderCategoryId: category }, tapsFrom(raw, routes, ['S1'], false))), RUNS)
})

t.test('zone tariff (tap-on/tap-off, to-area rules, same-group transfer count, day and week caps)', async () => {
  const tariff = zoneTariff()
  fc.assert(fc.property(fc.array(rawTapArb(ZONE_ROUTES.length, ZONE_STOPS.length, 3, 45), { maxLength: 60 }), burstArb, optionsArb, (raw, bursts, options) =>
    same(tariff, {}, withBursts(tapsFrom(raw, ZONE_ROUTES, ZONE_STOPS, false), bursts), options)), RUNS)
})

t.test('upgrades, joins, timeframes, rolling and network caps, media', async () => {
  const tariff = feed({
    'stops.txt': ['stop_id,parent_station', 'st,', 'p1,st', 'p2,st', 'x,'],
    'fare_media.txt': ['fare_media_id,fare_media_name,fare_media_type', 'card,Card,2', 'app,App,4'],
    'rider_categories.txt': ['rider_category_id,rider_category_name,is_default_fare_category', 'adult,Adult,1', 'kid,Kid,0'],
    'timeframes.txt': ['timeframe_group_id,start_time,end_time,service_id', 'peak,07:00:00,09:30:00,wk', 'peak,16:00:00,19:00:00,wk'],
    'calendar.txt': ['service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date', 'wk,1,1,1,1,1,0,0,20260101,20261231'],
    'fare_products.txt': ['fare_product_id,rider_category_id,fare_media_id,amount,currency', 'p1,,,10.00,UAH', 'p1,kid,,5.00,UAH', 'p1,,app,9.50,UAH', 'p2,,,12.00,UAH', 'peak,,,14.25,UAH', 'upgrade,,,7.00,UAH', 'xfer,,,1.10,UAH', 'free,,,0,UAH'],
    'fare_leg_rules.txt': ['leg_group_id,network_id,from_timeframe_group_id,fare_product_id,rule_priority', 'g1,n1,,p1,0', 'g1,n1,peak,peak,1', 'g2,n2,,p2,0', 'g2,n2,,upgrade,0'],
    'fare_leg_join_rules.txt': ['from_network_id,to_network_id', 'n1,n1'],
    'fare_transfer_rules.txt': ['from_leg_group_id,to_leg_group_id,transfer_count,duration_limit,duration_limit_type,fare_transfer_type,fare_product_id',
      'g1,g2,,3600,1,2,upgrade', 'g2,g1,,5400,0,1,xfer', 'g2,g2,2,1800,3,0,', 'g1,g1,-1,7200,1,0,free'],
    'fare_caps.txt': ['cap_id,amount,currency,period,duration_days,week_start_day,day_start_time,rider_category_id,fare_media_id,network_id',
      'roll,40.00,UAH,rolling,1,,,,,', 'n2day,20.00,UAH,day,,,04:30:00,,,n2', 'kidweek,30.00,UAH,week,,sunday,,kid,,', 'appmonth,99.99,UAH,month,,,,,app,'],
  })
  const routes = ['r1', 'r2']
  const stops = [undefined, 'st', 'p1', 'p2', 'x']
  const profileArb = fc.record({ kid: fc.boolean(), medium: fc.constantFrom(undefined, 'card', 'app') })
    .map((p): CardProfile => ({ ...(p.kid ? { riderCategoryId: 'kid' } : {}), ...(p.medium === undefined ? {} : { fareMediaId: p.medium }) }))
  fc.assert(fc.property(fc.array(rawTapArb(routes.length, stops.length, 3, 0), { maxLength: 30 }), burstArb, profileArb, optionsArb, (raw, bursts, profile, options) =>
    same(tariff, profile, withBursts(tapsFrom(raw, routes, stops, true), bursts), options)), RUNS)
})

interface FixtureCase { id: string; kind: string; feed: string; request: PriceRequest }

t.test('conformance fixture feeds: their journeys as taps, shuffled in time, and priced', async () => {
  for (const suite of ['gtfs-org-examples', 'nigiri-simple']) {
    const dir = join(fixturesRoot, suite)
    const parsed = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as { cases: FixtureCase[] }
    const tariffs = new Map<string, Tariff | undefined>()
    for (const c of parsed.cases) {
      if (!tariffs.has(c.feed)) {
        try { tariffs.set(c.feed, loadFeed(join(dir, c.feed))) } catch { tariffs.set(c.feed, undefined) }
      }
      const tariff = tariffs.get(c.feed)
      if (!tariff) continue
      const price = (run: typeof priceJourney): string => outcome(() => run(tariff, c.request))
      t.equal(price(priceJourney), price(referencePrice), `${suite}/${c.id}: price`)
      const legs = Array.isArray(c.request.legs) ? c.request.legs : []
      fc.assert(fc.property(fc.array(fc.integer({ min: -90, max: 90 }), { minLength: legs.length, maxLength: legs.length }), fc.boolean(), (shifts, withExits) => {
        const taps: Tap[] = []
        legs.forEach((leg, i) => {
          const shift = (shifts[i] ?? 0) * 60_000
          const departure = new Date(Date.parse(leg.departure) + shift).toISOString()
          taps.push({ tapId: `f${i}-in`, kind: 'entry', routeId: leg.routeId, ...(leg.fromStopId ? { stopId: leg.fromStopId } : {}), time: departure })
          if (withExits && leg.arrival !== undefined) {
            taps.push({ tapId: `f${i}-out`, kind: 'exit', routeId: leg.routeId, ...(leg.toStopId ? { stopId: leg.toStopId } : {}), time: new Date(Date.parse(leg.arrival) + shift).toISOString() })
          }
        })
        return same(tariff, { ...(c.request.riderCategoryId ? { riderCategoryId: c.request.riderCategoryId } : {}), ...(c.request.fareMediaId ? { fareMediaId: c.request.fareMediaId } : {}) }, taps)
      }), { numRuns: 15 })
    }
  }
})
