/**
 * A tariff draft simulated on real settled taps (Kafka, the ledger, Postgres)
 * gives the totals the `fares` command line gives for the same taps: each
 * card's taps of the range rated by the command line under the tariff in force
 * and under the draft, summed per operator and compared as decimal strings.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { buildApp } from '@fare/api'
import type { TapEvent } from '@fare/contracts'
import { Decimal } from '@fare/money'
import { createLogger, createMetricsRegistry } from '@fare/platform'
import t from 'tap'
import { createLedgerBench, DEMO_FILES, fundCard, tapEvent } from '../ledger/harness.ts'
import { faresCliCommand, REPO_ROOT } from '../support/entries.ts'
import { zipFeed } from '../support/feed-zip.ts'
import { createTestIssuer } from '../support/keys.ts'

const DRAFT_FILES = {
  ...DEMO_FILES,
  'fare_products.txt': (DEMO_FILES['fare_products.txt'] ?? '')
    .replace('bus-single,Bus single fare,adult,18.00,UAH', 'bus-single,Bus single fare,adult,20.00,UAH')
    .replace('trolleybus-single,Trolleybus single fare,adult,15.00,UAH', 'trolleybus-single,Trolleybus single fare,adult,12.50,UAH'),
}

interface CliCharge {
  tapId: string
  amount: string
  agencyId: string
  flags: string[]
}

/** `fares rate --feed DIR` as the command line runs it, one card's taps on standard input. */
function faresRate(feedDir: string, request: unknown): Promise<{ total: string; charges: CliCharge[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...faresCliCommand(), 'rate', '--feed', feedDir], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`fares exited ${code}: ${out}`))))
    child.stdin.end(JSON.stringify(request))
  })
}

const bench = await createLedgerBench('tariff-sim', { partitions: 2 })
t.teardown(() => bench.close())
const { db } = bench.database
const feedDirs = mkdtempSync(path.join(tmpdir(), 'fare-sim-'))
t.teardown(() => rmSync(feedDirs, { recursive: true, force: true }))
for (const [name, files] of [
  ['in-force', DEMO_FILES],
  ['draft', DRAFT_FILES],
] as const) {
  // The command line reads a feed folder, as an admin would rate with it.
  const dir = path.join(feedDirs, name)
  mkdirSync(dir)
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text)
}

// Cards: adults riding buses (one often enough to reach the daily cap), one with bus-trolleybus transfers, a pupil.
const cards: { card: string; category: string; taps: TapEvent[] }[] = []
const day = (d: number, hhmm: string) => `2026-11-0${d}T${hhmm}:00+02:00`
const bus = (card: string, time: string) => tapEvent({ card, time, route: 'bus-10', operator: 'lutsk-bus' })
const trolley = (card: string, time: string) => tapEvent({ card, time, route: 'trolley-1', device: 'dev-trolley-1', operator: 'lutsk-trolley' })
cards.push({
  card: 'ct_sim_capped_01',
  category: 'adult',
  taps: [2, 3].flatMap((d) => ['07:00', '09:00', '12:00', '15:00', '18:00'].map((h) => bus('ct_sim_capped_01', day(d, h)))),
})
cards.push({
  card: 'ct_sim_transfer1',
  category: 'adult',
  taps: [bus('ct_sim_transfer1', day(2, '08:00')), trolley('ct_sim_transfer1', day(2, '08:40')), trolley('ct_sim_transfer1', day(4, '17:00'))],
})
cards.push({ card: 'ct_sim_trolley01', category: 'adult', taps: [trolley('ct_sim_trolley01', day(3, '10:00')), trolley('ct_sim_trolley01', day(3, '16:00'))] })
cards.push({ card: 'ct_sim_pupil_001', category: 'pupil', taps: [bus('ct_sim_pupil_001', day(2, '07:30')), bus('ct_sim_pupil_001', day(4, '13:30'))] })
cards.push({ card: 'ct_sim_bus_00001', category: 'adult', taps: [bus('ct_sim_bus_00001', day(4, '09:15'))] })
// Outside the range: settled, but not simulated.
const outside = [bus('ct_sim_bus_00001', '2026-11-01T23:59:59+02:00'), bus('ct_sim_bus_00001', '2026-11-05T00:00:00+02:00')]

t.test('simulation totals equal the fares command line on the same taps', async (t) => {
  for (const c of cards) await fundCard(db, c.card, '1000.00', { riderCategoryId: c.category })
  await bench.startInProcess()
  await bench.produce([...cards.flatMap((c) => c.taps), ...outside])
  await bench.waitSettled()
  t.equal(
    Number(
      (
        await db
          .selectFrom('taps')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    ),
    cards.reduce((n, c) => n + c.taps.length, 0) + outside.length,
    'every tap settled',
  )

  const issuer = createTestIssuer()
  const app = await buildApp({
    logger: createLogger({ level: 'silent', name: 'api-test' }),
    db,
    registry: createMetricsRegistry('api'),
    jwtPublicKeyPem: issuer.publicKeyPem,
  })
  t.teardown(() => app.close())
  const admin = { authorization: `Bearer ${issuer.adminToken()}` }
  const upload = await app.inject({
    method: 'POST',
    url: '/v1/tariffs/drafts?name=dearer%20bus',
    headers: { ...admin, 'content-type': 'application/zip' },
    payload: await zipFeed(DRAFT_FILES),
  })
  t.equal(upload.statusCode, 201, upload.body)
  const simulate = (body: Record<string, string>) =>
    app.inject({ method: 'POST', url: `/v1/tariffs/drafts/${upload.json().id}/simulations`, headers: admin, payload: body })
  const res = await simulate({ from: '2026-11-02T00:00:00+02:00', to: '2026-11-05T00:00:00+02:00' })
  t.equal(res.statusCode, 200, res.body)
  const report = res.json()

  // The reference: the command line, card by card, under each feed.
  const revenue = { 'in-force': new Map<string, Decimal>(), draft: new Map<string, Decimal>() }
  const totals = { 'in-force': new Decimal(0), draft: new Decimal(0) }
  const capped = { 'in-force': new Set<string>(), draft: new Set<string>() }
  const changes: Decimal[] = []
  for (const c of cards) {
    const request = {
      riderCategoryId: c.category,
      taps: c.taps.map((e) => ({ tapId: e.tapId, kind: e.kind, routeId: e.routeId, stopId: e.stopId, deviceId: e.deviceId, time: e.tappedAt })),
    }
    const cardTotals: Decimal[] = []
    for (const side of ['in-force', 'draft'] as const) {
      const rating = await faresRate(path.join(feedDirs, side), request)
      totals[side] = totals[side].plus(rating.total)
      cardTotals.push(new Decimal(rating.total))
      for (const charge of rating.charges) {
        revenue[side].set(charge.agencyId, (revenue[side].get(charge.agencyId) ?? new Decimal(0)).plus(charge.amount))
        if (charge.flags.includes('capped')) capped[side].add(c.card)
      }
    }
    changes.push((cardTotals[1] as Decimal).minus(cardTotals[0] as Decimal))
  }
  t.equal(report.inForce.total.amount, totals['in-force'].toFixed(2), 'total in force')
  t.equal(report.draft.total.amount, totals.draft.toFixed(2), 'total under the draft')
  t.equal(report.difference.amount, totals.draft.minus(totals['in-force']).toFixed(2))
  t.same(
    report.revenueByOperator,
    ['lutsk-bus', 'lutsk-trolley'].map((operatorId) => {
      const inForce = revenue['in-force'].get(operatorId) ?? new Decimal(0)
      const draft = revenue.draft.get(operatorId) ?? new Decimal(0)
      return {
        operatorId,
        inForce: { amount: inForce.toFixed(2), currency: 'UAH' },
        draft: { amount: draft.toFixed(2), currency: 'UAH' },
        difference: { amount: draft.minus(inForce).toFixed(2), currency: 'UAH' },
      }
    }),
    'revenue per operator',
  )
  t.equal(report.inForce.caps.ridersReachingACap, capped['in-force'].size, 'riders capped in force')
  t.ok(report.inForce.caps.ridersReachingACap >= 1, 'the daily cap is reached')
  t.equal(report.draft.caps.ridersReachingACap, capped.draft.size, 'riders capped under the draft')
  t.equal(report.monthlySpend.rises.count, changes.filter((c) => c.greaterThan(0)).length, 'riders whose month costs more')
  t.equal(report.monthlySpend.falls.count, changes.filter((c) => c.lessThan(0)).length, 'riders whose month costs less')
  const rises = changes.filter((c) => c.greaterThan(0)).sort((a, b) => a.comparedTo(b))
  t.equal(report.monthlySpend.rises.distribution?.max.amount, rises[rises.length - 1]?.toFixed(2), 'the largest rise')
  t.equal(report.cards, cards.length)
  t.equal(
    report.inForce.tapsRated,
    cards.reduce((n, c) => n + c.taps.length, 0),
    'only the range is rated',
  )

  for (const [body, why] of [
    [{ from: '2026-11-05T00:00:00+02:00', to: '2026-11-02T00:00:00+02:00' }, 'to before from'],
    [{ from: '2026-10-01T00:00:00+02:00', to: '2026-11-02T00:00:00+02:00' }, 'more than 31 days'],
  ] as const) {
    const refused = await simulate(body)
    t.equal(refused.statusCode, 400, why)
    t.equal(refused.json().error.code, 'SIMULATION_RANGE_INVALID', why)
  }
  t.equal((await simulate({ from: '2026-11-01', to: '2026-11-02T00:00:00+02:00' })).json().error.code, 'REQUEST_INVALID', 'no time and offset')
  const limited = await buildApp(
    { logger: createLogger({ level: 'silent', name: 'api-test' }), db, registry: createMetricsRegistry('api'), jwtPublicKeyPem: issuer.publicKeyPem },
    { simulationLimits: { maxTaps: 5 } },
  )
  t.teardown(() => limited.close())
  const tooMany = await limited.inject({
    method: 'POST',
    url: `/v1/tariffs/drafts/${upload.json().id}/simulations`,
    headers: admin,
    payload: { from: '2026-11-02T00:00:00+02:00', to: '2026-11-05T00:00:00+02:00' },
  })
  t.equal(tooMany.statusCode, 422)
  t.equal(tooMany.json().error.code, 'SIMULATION_TOO_LARGE')
})
