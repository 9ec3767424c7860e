/**
 * The reconciliation and data-quality reports' scenario, settled by the real
 * ledger (test/ledger/harness.ts) and read through the api. The ledger stamps
 * what it records with its own clock (now), so the taps are made yesterday
 * (service day D, Kyiv) and the reports' range covers today.
 *
 *   cards (adult), each topped up 100.00 today; A also 20.00 ten days ago (written back-dated)
 *   A  D 08:00:00 bus-10 S1  dev-bus-7 seq 1   18.00
 *      D 08:00:03 bus-10 S1  dev-bus-7 seq 2    0.00  double tap (within the engine's 5 s)
 *      D 12:00    bus-10 S2  dev-bus-7 seq 5   18.00  (seq 3 and 4 never arrive: a gap)
 *      D 16:00    bus-2  S1  dev-bus-7 seq 6   18.00  (the day reaches the 54.00 cap exactly)
 *   B  D 09:00    trolley-4 S3 dev-trolley-3 seq 40  15.00
 *      D 13:00    trolley-1 S1 dev-trolley-3 seq 41  15.00  received D 15:30: 2.5 h late
 *      refund 20.00 (today)
 *   C  D 07:00    rail-1 R2 exit  dev-rail-1     0.00  unmatched exit (no open leg)
 *      D 10:00    rail-1 R1 entry dev-rail-1    20.00  incomplete (no exit): the highest fare from R1
 *   rejected: A bus-999 (UNKNOWN_ROUTE, lutsk-bus), B trolley-4 stop S99 (UNKNOWN_STOP, lutsk-trolley),
 *             a record that is not JSON (SCHEMA, no operator)
 *   devices registered: dev-bus-7, dev-bus-9 (silent; token at D 20:00) of lutsk-bus; dev-trolley-3 of lutsk-trolley.
 *   balances: A 120 - 54 = 66.00, B 100 - 30 - 20 = 50.00, C 100 - 20 = 80.00.
 */
import { AUDIENCE } from '@fare/auth'
import { ensureOperator, postAccountTransfer, systemAccountId } from '@fare/bookkeeping'
import type { TapEvent } from '@fare/contracts'
import { loadFeedFromFiles } from '@fare/fares'
import { parseAmount } from '@fare/money'
import { createLogger, createMetricsRegistry } from '@fare/platform'
import { formatDay, parseDay, serviceTimeOf } from '@fare/tariffs'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { sql } from 'kysely'
import { buildApp } from '../../services/api/src/app.ts'
import { createLedgerBench, fundCard, type LedgerBench, tapEvent } from '../ledger/harness.ts'
import { withRail } from '../ledger/tariffs.ts'
import { createTestIssuer, type TestIssuer } from '../support/keys.ts'

export const A = 'ct_recon_a_0001'
export const B = 'ct_recon_b_0001'
export const C = 'ct_recon_c_0001'

export interface ReconScenario {
  bench: LedgerBench
  app: FastifyInstance
  issuer: TestIssuer
  /** Service days: D (the taps' day), today, and the range covering both. */
  days: { d: string; today: string; from: string; to: string; pastFrom: string; pastTo: string }
  /** A tap time on day D, local (Kyiv, +02:00 in winter). */
  at(hms: string): string
  /** A GET as `token` (admin by default). */
  get(url: string, token?: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>
  operatorToken(operatorId: string): string
  close(): Promise<void>
}

const plusDays = (day: string, n: number): string => formatDay((parseDay(day) as number) + n)

export async function settleReconScenario(name: string): Promise<ReconScenario> {
  const files = withRail()
  const bench = await createLedgerBench(name, { partitions: 2, tariffFiles: files })
  const { db } = bench.database
  const today = serviceTimeOf(loadFeedFromFiles(files), Date.now()).day
  const d = plusDays(today, -1)
  const at = (hms: string): string => `${d}T${hms}+02:00`

  for (const card of [A, B, C]) await fundCard(db, card, '100.00')
  const accountOf = async (card: string): Promise<string> =>
    (await db.selectFrom('cards').select('account_id').where('card_token', '=', card).executeTakeFirstOrThrow()).account_id
  // Ten days ago: before any range that starts yesterday, so its opening balances are not zero.
  const clearing = await systemAccountId(db, 'top_up_clearing', 'UAH')
  const accountA = await accountOf(A)
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('transfers')
      .values({
        debit_account_id: clearing,
        credit_account_id: accountA,
        amount: '20.00',
        currency: 'UAH',
        kind: 'top_up',
        idempotency_key: 'recon:a:earlier',
        created_at: new Date(Date.now() - 10 * 86_400_000),
      })
      .execute()
    await trx.updateTable('accounts').set({ balance: sql`balance + 20.00` }).where('id', '=', accountA).execute()
    await trx.updateTable('accounts').set({ balance: sql`balance - 20.00` }).where('id', '=', clearing).execute()
  })

  for (const operator of ['lutsk-bus', 'lutsk-trolley']) await ensureOperator(db, operator, operator)
  for (const [id, operator] of [
    ['dev-bus-7', 'lutsk-bus'],
    ['dev-bus-9', 'lutsk-bus'],
    ['dev-trolley-3', 'lutsk-trolley'],
  ] as const) {
    await db.insertInto('devices').values({ id, operator_id: operator, public_key_pem: 'unused by reports' }).execute()
  }
  await db
    .updateTable('devices')
    .set({ last_token_at: at('20:00:00') })
    .where('id', '=', 'dev-bus-9')
    .execute()

  const seq = (event: TapEvent, deviceSeq: number): TapEvent => ({ ...event, deviceSeq })
  const bus = (hms: string, route: string, stop: string, deviceSeq: number) =>
    seq(tapEvent({ card: A, time: at(hms), route, stop, device: 'dev-bus-7' }), deviceSeq)
  const trolley = (hms: string, route: string, stop: string, deviceSeq: number, receivedAt?: string) =>
    seq(tapEvent({ card: B, time: at(hms), route, stop, device: 'dev-trolley-3', operator: 'lutsk-trolley', ...(receivedAt ? { receivedAt } : {}) }), deviceSeq)
  const rail = (hms: string, stop: string, kind: 'entry' | 'exit') => tapEvent({ card: C, time: at(hms), route: 'rail-1', stop, kind, device: 'dev-rail-1' })
  await bench.produce([
    bus('08:00:00', 'bus-10', 'S1', 1),
    bus('08:00:03', 'bus-10', 'S1', 2),
    bus('12:00:00', 'bus-10', 'S2', 5),
    bus('16:00:00', 'bus-2', 'S1', 6),
    trolley('09:00:00', 'trolley-4', 'S3', 40),
    trolley('13:00:00', 'trolley-1', 'S1', 41, at('15:30:00')),
    rail('07:00:00', 'R2', 'exit'),
    rail('10:00:00', 'R1', 'entry'),
    tapEvent({ card: A, time: at('11:00:00'), route: 'bus-999', stop: 'S1', device: 'dev-bus-8' }),
    tapEvent({ card: B, time: at('11:30:00'), route: 'trolley-4', stop: 'S99', device: 'dev-trolley-3', operator: 'lutsk-trolley' }),
    { key: 'poison', raw: 'this is not a tap event' },
  ])
  // Produced first, settled after: each partition's records arrive in one batch.
  await bench.startInProcess()
  await bench.waitSettled()
  const accountB = await accountOf(B)
  await db.transaction().execute((trx) => postAccountTransfer(trx, { kind: 'refund', accountId: accountB, amount: parseAmount('20.00'), currency: 'UAH' }))

  const issuer = createTestIssuer()
  const app = await buildApp({
    logger: createLogger({ level: 'silent', name: 'api-test' }),
    db,
    registry: createMetricsRegistry('api'),
    jwtPublicKeyPem: issuer.publicKeyPem,
  })
  const admin = issuer.adminToken()
  return {
    bench,
    app,
    issuer,
    days: { d, today, from: plusDays(today, -2), to: plusDays(today, 1), pastFrom: plusDays(today, -20), pastTo: plusDays(today, -2) },
    at,
    get: (url, token = admin, headers = {}) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, ...headers } }),
    operatorToken: (operatorId) => issuer.sign({ sub: `op-${operatorId}`, role: 'operator', operator_id: operatorId }, AUDIENCE.api),
    async close() {
      await app.close()
      await bench.close()
    },
  }
}
