/**
 * GET /v1/reports/reconciliation on the scenario of recon-scenario.ts, every
 * figure worked out by hand there: taps received = settled + rejected,
 * money by kind, the trial balance (debits = credits, balances summing to
 * zero), device sequence gaps; the CSV of each section parses back into the
 * JSON's table; an operator sees its own figures only.
 */
import { parse } from 'csv-parse/sync'
import t from 'tap'
import { tapEvent } from '../ledger/harness.ts'
import { A, settleReconScenario } from './recon-scenario.ts'

const s = await settleReconScenario('reports-recon')
t.teardown(() => s.close())
const { from, to } = s.days
const url = (query: string) => `/v1/reports/reconciliation?from=${from}&to=${to}${query}`

interface Body {
  rows: Record<string, unknown>[]
  summary: Record<string, unknown>[]
  codes: Record<string, unknown>[]
  accounts: Record<string, unknown>[]
  accountTotals: Record<string, unknown>
  devices: Record<string, unknown>[]
  warnings: { code: string; message: string }[]
  balanced: boolean | null
  operator: string | null
}

async function report(query = '', token?: string): Promise<Body> {
  const res = await s.get(url(query), token)
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`)
  return res.json() as Body
}

const line = (figure: string, count: number, amount: string | null) => ({ figure, count, amount })
const iso = (local: string) => new Date(local).toISOString()

t.test('admin: taps, rejections and money of the range', async (t) => {
  const body = await report()
  t.same(body.rows, body.summary, 'rows hold the summary by default')
  t.same(body.summary, [
    line('taps_received', 11, null),
    line('taps_settled', 8, null),
    line('taps_rejected', 3, null),
    line('taps_dead_lettered', 3, null),
    line('charges', 6, '104.00'),
    line('revenue_splits', 0, '0.00'),
    line('concessions', 0, '0.00'),
    line('top_ups', 3, '300.00'),
    line('refunds', 1, '20.00'),
    line('manual_adjustments', 0, '0.00'),
    line('balance_moves', 0, '0.00'),
  ])
  t.same(body.codes, [
    { code: 'SCHEMA', rejected: 1 },
    { code: 'UNKNOWN_ROUTE', rejected: 1 },
    { code: 'UNKNOWN_STOP', rejected: 1 },
  ])
})

t.test('admin: the trial balance balances, opening balances from before the range', async (t) => {
  const body = await report('&section=accounts')
  const account = (account_kind: string, operator_id: string | null, opening: string, debits: string, credits: string, closing: string) => ({
    account_kind,
    operator_id,
    opening,
    debits,
    credits,
    closing,
  })
  const expected = [
    account('operator_revenue', 'lutsk-bus', '0.00', '0.00', '74.00', '74.00'),
    account('operator_revenue', 'lutsk-trolley', '0.00', '0.00', '30.00', '30.00'),
    account('refunds', null, '0.00', '0.00', '20.00', '20.00'),
    account('rider', null, '20.00', '124.00', '300.00', '196.00'),
    account('top_up_clearing', null, '-20.00', '300.00', '0.00', '-320.00'),
  ]
  t.same(body.rows, expected)
  t.same(body.accounts, expected)
  t.same(body.accountTotals, { opening: '0.00', debits: '424.00', credits: '424.00', closing: '0.00' }, 'debits = credits; balances sum to zero')
  t.equal(body.balanced, true)
  t.notOk(
    body.warnings.some((w) => w.code === 'LEDGER_UNBALANCED'),
    'no unbalanced warning',
  )

  const past = (await s.get(`/v1/reports/reconciliation?from=${s.days.pastFrom}&to=${s.days.pastTo}&section=accounts`)).json() as Body
  t.same(
    past.rows.filter((r) => r.debits !== '0.00' || r.credits !== '0.00' || r.opening !== '0.00' || r.closing !== '0.00'),
    [account('rider', null, '0.00', '0.00', '20.00', '20.00'), account('top_up_clearing', null, '0.00', '20.00', '0.00', '-20.00')],
    'a range before today holds the back-dated top-up only; its closing balances are the full range opening ones',
  )
  t.same(past.accountTotals, { opening: '0.00', debits: '20.00', credits: '20.00', closing: '0.00' })
})

t.test('admin: devices, their sequence gaps and last sign of life', async (t) => {
  const body = await report('&section=devices')
  const device = (
    device_id: string,
    operator_id: string,
    status: string,
    taps: number,
    seqs: [number, number] | null,
    missing: number,
    ranges: string,
    lastTap: string | null,
    lastToken: string | null,
  ) => ({
    device_id,
    operator_id,
    status,
    taps,
    first_seq: seqs?.[0] ?? null,
    last_seq: seqs?.[1] ?? null,
    missing,
    missing_ranges: ranges,
    last_tap_received_at: lastTap,
    last_token_at: lastToken,
    last_seen: lastTap ?? lastToken,
  })
  const expected = [
    device('dev-bus-7', 'lutsk-bus', 'active', 4, [1, 6], 2, '3-4', iso(s.at('16:00:00')), null),
    device('dev-bus-9', 'lutsk-bus', 'active', 0, null, 0, '', null, iso(s.at('20:00:00'))),
    device('dev-rail-1', 'lutsk-bus', 'unregistered', 2, null, 0, '', iso(s.at('10:00:00')), null),
    device('dev-trolley-3', 'lutsk-trolley', 'active', 2, [40, 41], 0, '', iso(s.at('15:30:00')), null),
  ]
  t.same(body.rows, expected)
  t.same(
    body.warnings.map((w) => w.code),
    ['TAPS_REJECTED', 'DEVICE_SEQUENCE_GAP'],
  )
  t.match(body.warnings[1]?.message, /dev-bus-7: 2 sequence number\(s\) never recorded \(3-4\)/)
})

t.test('CSV: each section parses back into the JSON table', async (t) => {
  for (const section of ['summary', 'codes', 'accounts', 'devices']) {
    const json = await report(`&section=${section}`)
    const res = await s.get(url(`&section=${section}&format=csv`))
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^text\/csv/)
    const parsed = parse(res.body, { columns: true }) as Record<string, string>[]
    const asText = json.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? '' : String(v)])))
    t.same(parsed, asText, `${section}: the CSV is the JSON's rows`)
    t.ok(parsed.length > 0, `${section}: not empty`)
  }
  const accepted = await s.get(url('&section=devices'), undefined, { accept: 'text/csv' })
  t.match(accepted.headers['content-disposition'], /reconciliation-devices-/)
})

t.test('an operator sees its own taps, rejections, revenue account and devices only', async (t) => {
  const bus = await report('', s.operatorToken('lutsk-bus'))
  t.equal(bus.operator, 'lutsk-bus')
  t.same(bus.summary, [
    line('taps_received', 7, null),
    line('taps_settled', 6, null),
    line('taps_rejected', 1, null),
    line('taps_dead_lettered', 1, null),
    line('charges', 4, '74.00'),
    line('revenue_splits', 0, '0.00'),
    line('concessions', 0, '0.00'),
  ])
  t.same(bus.codes, [{ code: 'UNKNOWN_ROUTE', rejected: 1 }], "the other operator's and the unreadable record are absent")
  t.same(bus.accounts, [{ account_kind: 'operator_revenue', operator_id: 'lutsk-bus', opening: '0.00', debits: '0.00', credits: '74.00', closing: '74.00' }])
  t.equal(bus.balanced, null, 'one account alone does not balance; no check')
  t.same(
    bus.devices.map((d) => d.device_id),
    ['dev-bus-7', 'dev-bus-9', 'dev-rail-1'],
  )

  const trolley = await report('&section=devices', s.operatorToken('lutsk-trolley'))
  t.same(
    trolley.rows.map((d) => d.device_id),
    ['dev-trolley-3'],
  )
  t.same(trolley.summary.slice(0, 3), [line('taps_received', 3, null), line('taps_settled', 2, null), line('taps_rejected', 1, null)])

  const admin = await report('&operator=lutsk-trolley')
  t.same(admin.summary, trolley.summary, 'an admin filtering by operator sees what the operator sees')

  const other = await s.get(url('&operator=lutsk-trolley'), s.operatorToken('lutsk-bus'))
  t.equal(other.statusCode, 403)
  t.equal(other.json().error.code, 'REPORT_OPERATOR_FORBIDDEN')
  t.notOk(JSON.stringify(bus).includes('trolley'), 'nothing of the other operator (its devices, account, rejections) in the answer')
})

t.test('bad input: 400 with a code, nothing served', async (t) => {
  const cases: [string, string][] = [
    ['?from=2026-13-01&to=2026-12-01', 'REPORT_RANGE_INVALID'],
    ['?from=2026-11-02&to=2026-11-01', 'REPORT_RANGE_INVALID'],
    ['?from=2025-01-01&to=2026-12-01', 'REPORT_RANGE_INVALID'],
  ]
  for (const [query, code] of cases) {
    const res = await s.get(`/v1/reports/reconciliation${query}`)
    t.equal(res.statusCode, 400, query)
    t.equal(res.json().error.code, code, query)
  }
  const section = await s.get(url('&section=everything'))
  t.equal(section.statusCode, 400)
  t.equal(section.json().error.code, 'REQUEST_INVALID', 'an unknown section fails validation')
})

t.test('a gap is what was never recorded: a late upload of a missing number fills it', async (t) => {
  // Card A reached the day cap: the late tap costs nothing, so only the device figures move.
  await s.bench.produce([{ ...tapEvent({ card: A, time: s.at('17:00:00'), route: 'bus-10', stop: 'S4', device: 'dev-bus-7' }), deviceSeq: 3 }])
  await s.bench.waitSettled()
  const body = await report('&section=devices')
  t.match(body.rows[0], { device_id: 'dev-bus-7', taps: 5, first_seq: 1, last_seq: 6, missing: 1, missing_ranges: '4' })
  t.match(body.warnings.find((w) => w.code === 'DEVICE_SEQUENCE_GAP')?.message, /1 sequence number\(s\) never recorded \(4\)/)
  t.same(body.accountTotals, { opening: '0.00', debits: '424.00', credits: '424.00', closing: '0.00' }, 'no money moved')
})
