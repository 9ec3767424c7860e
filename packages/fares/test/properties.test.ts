/**
 * Properties of rating that the ledger relies on. Order independence: the
 * ledger receives taps late, twice and out of order, and must reach the same
 * charges as rating the set in one go, or riders are charged by accident of
 * delivery. Best fare: a transfer rule never makes a rider pay more than
 * pricing every leg as its own journey. Caps: no window's charges exceed its
 * cap (incomplete legs aside), which is the promise made to riders. Credits:
 * only a documented upgrade (fare_transfer_type 2 or a negative product) may
 * give a negative charge, so a negative posting is never a bug in disguise.
 * Balance: per-tap charges add up to the journey totals and the rating's
 * total, and revenue splits add up to the journey's amount, so money is
 * neither created nor lost between the fare engine and the ledger.
 * Determinism: the same inputs give the same output, byte for byte.
 */

import { type Decimal, ZERO } from '@fare/money'
import fc from 'fast-check'
import t from 'tap'
import { priceJourney, rate, splitJourneyRevenue, type Tap, type Tariff, toJson } from '../src/index.ts'
import { demoTariff, feed } from './helpers.ts'

const ROUTES = ['bus-2', 'bus-10', 'bus-15', 'trolley-1', 'trolley-4', 'trolley-7']
const BASE_MS = Date.parse('2026-03-27T06:00:00+02:00')

const tapArb = fc.record({
  routeIndex: fc.integer({ min: 0, max: ROUTES.length - 1 }),
  minute: fc.integer({ min: 0, max: 4 * 24 * 60 }),
  second: fc.integer({ min: 0, max: 59 }),
  stop: fc.integer({ min: 1, max: 12 }),
})
const tapsArb = fc.uniqueArray(tapArb, { minLength: 1, maxLength: 25, selector: (x) => `${x.minute}:${x.second}:${x.routeIndex}` }).map((raw) =>
  raw.map(
    (x, i): Tap => ({
      tapId: `tap-${String(i).padStart(3, '0')}`,
      kind: 'entry',
      routeId: ROUTES[x.routeIndex] as string,
      stopId: `S${x.stop}`,
      time: new Date(BASE_MS + x.minute * 60_000 + x.second * 1000).toISOString(),
    }),
  ),
)
const categoryArb = fc.constantFrom(undefined, 'adult', 'pupil', 'pensioner')
const profileOf = (category: string | undefined): { riderCategoryId?: string } => (category === undefined ? {} : { riderCategoryId: category })
const json = (value: unknown): string => JSON.stringify(toJson(value, 'UAH'))
const RUNS = { numRuns: 60 }

t.test('any permutation and duplication of a tap set rates exactly like the sorted set', async (_t) => {
  const tariff = demoTariff()
  fc.assert(
    fc.property(tapsArb, categoryArb, fc.array(fc.nat(), { maxLength: 10 }), fc.integer(), (taps, category, duplicates, seed) => {
      const shuffled = fc.sample(fc.shuffledSubarray(taps, { minLength: taps.length, maxLength: taps.length }), { numRuns: 1, seed })[0] as Tap[]
      const withRepeats = [...shuffled, ...duplicates.map((d) => taps[d % taps.length] as Tap)]
      const sorted = [...taps].sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || (a.tapId < b.tapId ? -1 : 1))
      return json(rate(tariff, profileOf(category), withRepeats)) === json(rate(tariff, profileOf(category), sorted))
    }),
    RUNS,
  )
})

t.test('best fare never exceeds pricing every leg as its own journey', async (_t) => {
  const tariff = demoTariff()
  fc.assert(
    fc.property(tapsArb, categoryArb, (taps, category) => {
      const legs = taps.map((tap) => ({ routeId: tap.routeId, fromStopId: tap.stopId as string, departure: tap.time }))
      const together = priceJourney(tariff, { ...profileOf(category), legs }).total
      const separately = legs.reduce((sum, leg) => sum.plus(priceJourney(tariff, { ...profileOf(category), legs: [leg] }).total), ZERO)
      return together.lessThanOrEqualTo(separately)
    }),
    RUNS,
  )
})

t.test("no cap window's charges exceed its cap; charges sum to journey totals and the rating total; splits sum to the amount; determinism", async (_t) => {
  const tariff = demoTariff()
  fc.assert(
    fc.property(tapsArb, categoryArb, (taps, category) => {
      const rating = rate(tariff, profileOf(category), taps)
      if (json(rating) !== json(rate(tariff, profileOf(category), taps))) return false
      // Caps: sum the charges per cap window as the explanations name it.
      const spent = new Map<string, Decimal>()
      const limits = new Map<string, Decimal>()
      for (const charge of rating.charges) {
        const e = charge.explanation
        if (e.kind !== 'fare' && e.kind !== 'group') continue
        for (const cap of e.caps) {
          const key = `${cap.capId}@${cap.window.start}`
          spent.set(key, (spent.get(key) ?? ZERO).plus(charge.amount))
          limits.set(key, cap.capAmount)
        }
      }
      for (const [key, amount] of spent) if (amount.greaterThan(limits.get(key) as Decimal)) return false
      // Balance: total = sum of charges; per journey the increments sum to the journey total.
      const total = rating.charges.reduce((sum, c) => sum.plus(c.amount), ZERO)
      if (!total.equals(rating.total)) return false
      const byJourney = new Map<string, { increments: Decimal; last: Decimal; charged: Decimal }>()
      for (const charge of rating.charges) {
        if (charge.journeyId === undefined) continue
        const entry = byJourney.get(charge.journeyId) ?? { increments: ZERO, last: ZERO, charged: ZERO }
        entry.charged = entry.charged.plus(charge.amount)
        if (charge.explanation.kind === 'fare') {
          entry.increments = entry.increments.plus(charge.explanation.increment)
          entry.last = charge.explanation.journey.journeyTotalAfter
        }
        byJourney.set(charge.journeyId, entry)
      }
      for (const [journeyId, entry] of byJourney) {
        if (rating.charges.some((c) => c.journeyId === journeyId && c.explanation.kind === 'fare') && !entry.increments.equals(entry.last)) return false
        const split = splitJourneyRevenue(rating, journeyId)
        const splitSum = [...split.values()].reduce((sum, v) => sum.plus(v), ZERO)
        if (!splitSum.equals(entry.charged)) return false
      }
      // Credits: the demo tariff has no upgrade, so nothing is ever negative.
      return rating.charges.every((c) => !c.amount.isNegative())
    }),
    RUNS,
  )
})

t.test('only documented upgrade credits are negative', async (t) => {
  const upgradeFeed: Tariff = feed({
    'fare_products.txt': ['fare_product_id,amount,currency', 'p1,10,UAH', 'p2,12,UAH', 'upgrade,7,UAH'],
    'fare_leg_rules.txt': ['leg_group_id,network_id,fare_product_id', 'g1,n1,p1', 'g2,n2,p2'],
    'fare_transfer_rules.txt': [
      'from_leg_group_id,to_leg_group_id,duration_limit,duration_limit_type,fare_transfer_type,fare_product_id',
      'g1,g2,3600,1,2,upgrade',
    ],
    'fare_caps.txt': ['cap_id,amount,currency,period', 'day,25.00,UAH,day'],
  })
  const routeTaps = fc.uniqueArray(fc.record({ route: fc.constantFrom('r1', 'r2'), minute: fc.integer({ min: 0, max: 3 * 24 * 60 }) }), {
    minLength: 1,
    maxLength: 20,
    selector: (x) => x.minute,
  })
  let sawCredit = false
  fc.assert(
    fc.property(routeTaps, (raw) => {
      const taps = raw.map(
        (x, i): Tap => ({
          tapId: `u${String(i).padStart(3, '0')}`,
          kind: 'entry',
          routeId: x.route,
          time: new Date(BASE_MS + x.minute * 60_000).toISOString(),
        }),
      )
      const rating = rate(upgradeFeed, {}, taps)
      for (const charge of rating.charges) {
        if (!charge.amount.isNegative()) continue
        sawCredit = true
        const e = charge.explanation
        if (e.kind !== 'fare' || e.journey.transfer?.fareTransferType !== 2) return false
      }
      return true
    }),
    { numRuns: 150 },
  )
  t.ok(sawCredit, 'the generator reached an upgrade credit (r1 then r2 within an hour: 7 - 10 = -3)')
})
