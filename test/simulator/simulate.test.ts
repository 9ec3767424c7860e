/**
 * `pnpm simulate` in small, as CI runs it: an evening and a midnight of the
 * demo city (the evening peak, transfers, double taps, an offline validator,
 * re-sent batches, the new fares from midnight) through real validators,
 * ingest, Kafka, the ledger and Postgres, with a database, topics and
 * consumer group of this file's own. The run's own per-tap check must pass;
 * then a charge is spoilt on purpose, and the check must find it.
 */

import { postTransfers } from '@fare/bookkeeping'
import { loadFeedFromFiles } from '@fare/fares'
import { parseAmount } from '@fare/money'
import t from 'tap'
import { cardTokenPrefix, planCity } from '../../infra/simulator/city.ts'
import { dayWindow, planTaps } from '../../infra/simulator/day.ts'
import { seededRandom } from '../../infra/simulator/random.ts'
import { simulate } from '../../infra/simulator/simulate.ts'
import { newFaresFiles } from '../../infra/simulator/tariff-change.ts'
import { startTestStack } from '../support/stack.ts'

/** This file's database holds the run's cards only. */
const SIM_CARDS = `${cardTokenPrefix('')}%`

t.test('the same seed plans the same day', async (t) => {
  const tariff = loadFeedFromFiles(newFaresFiles())
  const window = dayWindow({ timeZone: 'Europe/Kyiv', fromHour: 4, hours: 24, nowMs: Date.parse('2026-06-15T12:00:00Z') })
  t.equal(window.startMs, Date.parse('2026-06-14T04:00:00+03:00'), 'the latest day whose window has ended: yesterday from 04:00')
  t.equal(window.midnightMs, Date.parse('2026-06-15T00:00:00+03:00'))
  const plan = (seed: number) => {
    const random = seededRandom(seed)
    const city = planCity(tariff, { tag: 'abc123', cards: 300, validators: 10 }, random)
    return { city, taps: planTaps(city, window, random) }
  }
  t.same(plan(9), plan(9))
  t.not(JSON.stringify(plan(9).taps), JSON.stringify(plan(10).taps), 'another seed, another day')
  const { taps } = plan(9)
  const hourOf = (ms: number) => new Date(ms).getUTCHours() + 3
  const at = (hour: number) => taps.filter((tap) => hourOf(tap.atMs) === hour).length
  t.ok(at(8) > 3 * at(12) && at(17) + at(18) > 3 * at(12), `two peaks: 08h ${at(8)}, 12h ${at(12)}, 17-18h ${at(17) + at(18)} taps`)
  t.ok(taps.some((tap) => tap.behaviour === 'transfer') && taps.some((tap) => tap.behaviour === 'double-tap'), 'transfers and double taps planned')
})

t.test('a small simulation through the whole stack', async (t) => {
  const stack = await startTestStack('simulate')
  t.teardown(() => stack.close())
  const db = stack.database.db
  const { summary, recheck } = await simulate(db, {
    cards: 150,
    validators: 6,
    hours: 8,
    fromHour: 17,
    speedUp: 1440,
    seed: 42,
    ingestUrl: stack.ingestUrl,
    apiUrl: stack.apiUrl,
    quiet: true,
    settleTimeoutMs: 180_000,
    log: (message) => t.comment(message),
  })
  t.same(summary.check.discrepancies, [], 'every accepted tap recorded once and charged what the engine says')
  t.ok(summary.check.passed)
  t.equal(summary.check.tapsChecked, summary.taps.accepted)
  t.ok(summary.taps.accepted > 100, `${summary.taps.accepted} taps accepted`)
  t.equal(summary.taps.accepted, summary.taps.recorded, 'ingest refused none of the validators’ taps')
  t.equal(summary.taps.acceptedAnswers, summary.taps.accepted + summary.taps.resent, 'a re-sent tap is answered accepted again')
  t.ok(summary.taps.transfers > 0, 'riders changed between bus and trolleybus')
  t.equal(summary.validatorsOffline, 1, 'one validator was offline for part of the evening')
  t.same(
    summary.revenue.map((r) => r.operatorId),
    ['lutsk-bus', 'lutsk-trolley'],
  )

  // The new fares: every tap after midnight is rated with the version published at midnight.
  t.ok(summary.taps.afterTariffChange > 0, `${summary.taps.afterTariffChange} taps after midnight`)
  const midnight = await db
    .selectFrom('tariff_versions')
    .select('id')
    .where('effective_from', '=', new Date(summary.window.tariffChangeAt ?? ''))
    .executeTakeFirstOrThrow()
  const ratedNew = await db
    .selectFrom('tap_charges')
    .select(db.fn.countAll<string>().as('n'))
    .where('card_token', 'like', SIM_CARDS)
    .where('tariff_version_id', '=', midnight.id)
    .executeTakeFirstOrThrow()
  t.equal(Number(ratedNew.n), summary.taps.afterTariffChange, 'rated with the new fares exactly the taps after midnight')

  // A charge spoilt behind the ledger's back: the check must name that tap.
  const tap = await db
    .selectFrom('taps')
    .innerJoin('cards', 'cards.card_token', 'taps.card_token')
    .select(['taps.tap_id', 'cards.account_id'])
    .where('taps.card_token', 'like', SIM_CARDS)
    .executeTakeFirstOrThrow()
  const other = await db.selectFrom('cards').select('account_id').where('account_id', '<>', tap.account_id).executeTakeFirstOrThrow()
  await db.transaction().execute((trx) =>
    postTransfers(trx, [
      {
        debitAccountId: tap.account_id,
        creditAccountId: other.account_id,
        amount: parseAmount('1.00'),
        currency: 'UAH',
        kind: 'fare_adjustment',
        tapId: tap.tap_id,
      },
    ]),
  )
  const spoilt = await recheck()
  t.same(
    spoilt.discrepancies.map((d) => d.what),
    ['each tap charged what the engine says'],
  )
  t.match(spoilt.discrepancies[0]?.detail, tap.tap_id)
})
