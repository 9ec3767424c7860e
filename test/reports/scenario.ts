/**
 * The money reports' scenario, settled by the REAL ledger (taps produced to
 * Kafka, settled by the ledger's own consumer, test/ledger/harness.ts) and read
 * through the api. Exported so every report test can reuse it; the figures
 * each report must give are worked out by hand in money-reports.test.ts.
 *
 * Demo tariff (infra/demo-tariff): bus 18.00 adult, 9.00 student, 0.00
 * pensioner; trolleybus 15.00 adult, 0.00 pensioner; bus <-> trolleybus within
 * 60 minutes costs transfer-60 (5.00 adult) instead; adult day cap 54.00 from
 * 04:00. Operators: lutsk-bus (bus-*), lutsk-trolley (trolley-*). Kyiv is
 * UTC+2 in November. Every card is funded with 200.00 first.
 *
 *   Mon 2026-11-09
 *     T1  08:00 mix (adult)          bus-10    S1  18.00  journey J1, lutsk-bus
 *     T2  08:40 mix                  trolley-1 S2   5.00  transfer within 60 min (15.00 without); J1 is multi-operator:
 *                                                         revenue split of 23.00 pro rata to the legs' own fares 18 : 15
 *                                                         -> bus 23*18/33 = 12.545.. = 12.55, trolley 23*15/33 = 10.454.. = 10.45;
 *                                                         bus was paid 18.00 (gives 5.45), trolley 5.00 (gets 5.45)
 *     T3  10:00 student              bus-15    S5   9.00  full fare 18.00: the city owes lutsk-bus 9.00
 *     T4  11:00 pensioner            trolley-7 S5   0.00  full fare 15.00: the city owes lutsk-trolley 15.00
 *     R   12:00 mix                  bus-99    S1   rejected: no such route (rejected_taps UNKNOWN_ROUTE, no charge)
 *   Tue 2026-11-10
 *     T5  07:00 capped (adult)       bus-10    S1  18.00
 *     T6  09:00 capped               bus-2     S2  18.00  bus -> bus: no transfer
 *     T7  11:00 capped               trolley-4 S3  15.00  120 min after the bus: no transfer; day so far 51.00
 *     T8  13:00 capped               bus-10    S4   3.00  18.00 before caps; the adult-day cap (54.00) leaves 3.00
 *     T9  15:00 capped               bus-15    S5   0.00  18.00 before caps; capped
 *     T10 09:00 late (adult)         bus-10    S1  18.00
 *     T11 10:30 late                 trolley-1 S2  15.00  at first (90 min after T10: no transfer) ...
 *     T12 10:00 late                 bus-2     S2  18.00  ... uploaded a day late (received Wed 09:00): T11 is now a transfer
 *                                                         from T12 (30 min): 15.00 -> 5.00, a -10.00 late-tap adjustment;
 *                                                         T12 + T11 is multi-operator: split 23.00 as J1, bus gives 5.45
 *   Refund: customer service pays 20.00 back to `mix` from stored value (@fare/bookkeeping, rider -> refunds), posted today.
 *   Manual adjustments of lutsk-bus's revenue account: +100.00 back-dated 40 days (an earlier month: its opening
 *   balance), and -1.50 posted today (adjustments account), both through @fare/bookkeeping's postTransfers.
 *
 * The ledger stamps a transfer with the time it posts it (today): the November rides' money is on the
 * operators' statements of the month the test runs in (MoneyScenario.postedMonth).
 */

import { AUDIENCE } from '@fare/auth'
import { openCard, postAccountTransfer, postTransfers, revenueAccountId, systemAccountId, topUp } from '@fare/bookkeeping'
import type { TapEvent } from '@fare/contracts'
import type { Db } from '@fare/db'
import { checkInvariants } from '@fare/ledger'
import { Decimal } from '@fare/money'
import { createLogger, createMetricsRegistry } from '@fare/platform'
import { serviceTimeOf } from '@fare/tariffs'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { sql } from 'kysely'
import { buildApp } from '../../services/api/src/app.ts'
import { createLedgerBench, demoTariff, type LedgerBench, tapEvent } from '../ledger/harness.ts'
import { createTestIssuer, type TestIssuer } from '../support/keys.ts'

export const BUS = 'lutsk-bus'
export const TROLLEY = 'lutsk-trolley'
export const CARDS = {
  mix: 'ct_rep_mix_0001',
  student: 'ct_rep_student_0001',
  pensioner: 'ct_rep_pensioner_0001',
  capped: 'ct_rep_capped_0001',
  late: 'ct_rep_late_0001',
} as const
const CATEGORY: Record<keyof typeof CARDS, string> = { mix: 'adult', student: 'student', pensioner: 'pensioner', capped: 'adult', late: 'adult' }

const tap = (card: string, time: string, route: string, stop: string, receivedAt?: string): TapEvent =>
  tapEvent({
    card,
    time,
    route,
    stop,
    device: `dev-${route}`,
    operator: route.startsWith('trolley') ? TROLLEY : BUS,
    ...(receivedAt ? { receivedAt } : {}),
  })

export interface MoneyScenario {
  readonly bench: LedgerBench
  readonly db: Db
  readonly app: FastifyInstance
  readonly issuer: TestIssuer
  /** The scenario's taps by name (T1 ... T12, R the rejected one). */
  readonly taps: Readonly<Record<string, TapEvent>>
  /** ledger:check's findings after settling (expected: none). */
  readonly invariants: readonly unknown[]
  /** The month (YYYY-MM, Kyiv) the ledger posted the rides' transfers in: today's. */
  readonly postedMonth: string
  /** The service day (YYYY-MM-DD, Kyiv, days from 04:00) the refund was posted on. */
  readonly refundDay: string
  /** The month the back-dated manual adjustment was posted in. */
  readonly backDatedMonth: string
  /** GET as admin, or with another token. */
  get(url: string, token?: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>
  adminToken: string
  operatorToken(operatorId: string): string
  close(): Promise<void>
}

/** Settles the scenario above through the ledger and starts an api on its database. */
export async function setupMoneyScenario(name = 'reports-money'): Promise<MoneyScenario> {
  const bench = await createLedgerBench(name, { partitions: 2 })
  const db = bench.database.db
  await bench.startInProcess()
  const accounts: Record<string, string> = {}
  for (const [key, card] of Object.entries(CARDS)) {
    accounts[key] = await db
      .transaction()
      .execute((trx) => openCard(trx, { cardToken: card, currency: 'UAH', riderCategoryId: CATEGORY[key as keyof typeof CARDS] }))
    await topUp(db, { accountId: accounts[key] as string, amount: new Decimal('200.00'), idempotencyKey: `fund:${card}` })
  }
  const taps: Record<string, TapEvent> = {
    T1: tap(CARDS.mix, '2026-11-09T08:00:00+02:00', 'bus-10', 'S1'),
    T2: tap(CARDS.mix, '2026-11-09T08:40:00+02:00', 'trolley-1', 'S2'),
    T3: tap(CARDS.student, '2026-11-09T10:00:00+02:00', 'bus-15', 'S5'),
    T4: tap(CARDS.pensioner, '2026-11-09T11:00:00+02:00', 'trolley-7', 'S5'),
    R: tap(CARDS.mix, '2026-11-09T12:00:00+02:00', 'bus-99', 'S1'),
    T5: tap(CARDS.capped, '2026-11-10T07:00:00+02:00', 'bus-10', 'S1'),
    T6: tap(CARDS.capped, '2026-11-10T09:00:00+02:00', 'bus-2', 'S2'),
    T7: tap(CARDS.capped, '2026-11-10T11:00:00+02:00', 'trolley-4', 'S3'),
    T8: tap(CARDS.capped, '2026-11-10T13:00:00+02:00', 'bus-10', 'S4'),
    T9: tap(CARDS.capped, '2026-11-10T15:00:00+02:00', 'bus-15', 'S5'),
    T10: tap(CARDS.late, '2026-11-10T09:00:00+02:00', 'bus-10', 'S1'),
    T11: tap(CARDS.late, '2026-11-10T10:30:00+02:00', 'trolley-1', 'S2'),
    T12: tap(CARDS.late, '2026-11-10T10:00:00+02:00', 'bus-2', 'S2', '2026-11-11T09:00:00+02:00'),
  }
  const { T12: late, ...onTime } = taps
  await bench.produce(Object.values(onTime))
  await bench.waitSettled()
  // The late tap in a batch of its own, after T11 was rated on its own.
  await bench.produce([late as TapEvent])
  await bench.waitSettled()
  const invariants = await checkInvariants(db, { source: bench.source })

  // The refund, as the admin api posts it (rider -> refunds, kind refund).
  const refund = await db
    .transaction()
    .execute((trx) => postAccountTransfer(trx, { kind: 'refund', accountId: accounts.mix as string, amount: new Decimal('20.00'), currency: 'UAH' }))
  // Manual adjustments of lutsk-bus's revenue account: one back-dated (no api back-dates money: the row is
  // written with its created_at and the cached balances moved with it, as services/api/test/riders.test.ts does).
  const busRevenue = await revenueAccountId(db, BUS, 'UAH')
  const adjustments = await systemAccountId(db, 'adjustments', 'UAH')
  const backDated = await db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('transfers')
      .values({
        debit_account_id: adjustments,
        credit_account_id: busRevenue,
        amount: '100.00',
        currency: 'UAH',
        kind: 'manual_adjustment',
        reason: 'correction of an earlier month',
        created_at: new Date(Date.now() - 40 * 86_400_000),
      })
      .returning('created_at')
      .executeTakeFirstOrThrow()
    await trx.updateTable('accounts').set({ balance: sql`balance + 100.00` }).where('id', '=', busRevenue).execute()
    await trx.updateTable('accounts').set({ balance: sql`balance - 100.00` }).where('id', '=', adjustments).execute()
    return row.created_at
  })
  await db
    .transaction()
    .execute((trx) =>
      postTransfers(trx, [
        { debitAccountId: busRevenue, creditAccountId: adjustments, amount: new Decimal('1.50'), currency: 'UAH', kind: 'manual_adjustment', reason: 'fee' },
      ]),
    )
  const refundRow = await db.selectFrom('transfers').select('created_at').where('id', '=', refund.transferId).executeTakeFirstOrThrow()
  const fareRow = await db.selectFrom('transfers').select(sql<Date>`min(created_at)`.as('at')).where('kind', '=', 'fare').executeTakeFirstOrThrow()

  const issuer = createTestIssuer()
  const app = await buildApp(
    {
      logger: createLogger({ level: 'silent', name: 'api-test' }),
      db,
      registry: createMetricsRegistry('api'),
      jwtPublicKeyPem: issuer.publicKeyPem,
    },
    { rateLimitPerMinute: 1_000_000 },
  )
  const adminToken = issuer.adminToken()
  return {
    bench,
    db,
    app,
    issuer,
    taps,
    invariants,
    postedMonth: kyivMonth(fareRow.at),
    refundDay: kyivServiceDay(refundRow.created_at),
    backDatedMonth: kyivMonth(backDated),
    adminToken,
    operatorToken: (operatorId) => issuer.sign({ sub: `staff-${operatorId}`, role: 'operator', operator_id: operatorId }, AUDIENCE.api),
    get: (url, token = adminToken, headers = {}) =>
      app.inject({ method: 'GET', url, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } }),
    async close() {
      await app.close()
      await bench.close()
    },
  }
}

/** The service day (Kyiv, days from 04:00) of an instant, as the ledger gives a tap's. */
export function kyivServiceDay(at: Date): string {
  return serviceTimeOf(demoTariff(), at.getTime()).day
}

/** The month (YYYY-MM) of the Kyiv service day of an instant. */
export function kyivMonth(at: Date): string {
  return kyivServiceDay(at).slice(0, 7)
}
