/**
 * The money reports (revenue, concessions, caps, operator statement) on the
 * scenario of test/reports/scenario.ts, settled by the real ledger. Every
 * expected figure is worked out by hand below from the demo tariff; the
 * reports' JSON must equal them exactly (decimal strings), their CSV must
 * parse back into the same rows, and the operator statement must tie to the
 * ledger's transfers and to tap_charges.
 *
 * What the ledger's read side holds per charge (tap_charges; F full_fare: the
 * default category's fare for the leg after fare transfers, before caps; L
 * leg_fare: the rider's category's own single fare; B before_caps; A amount;
 * A1 first_amount; C concession; S split):
 *
 *   tap  operator  route      day    category   F      L      B      A      A1     C      S      capped_by
 *   T1   bus       bus-10     11-09  adult      18.00  18.00  18.00  18.00  18.00   0.00  -5.45
 *   T2   trolley   trolley-1  11-09  adult       5.00  15.00   5.00   5.00   5.00   0.00  +5.45
 *   T3   bus       bus-15     11-09  student    18.00   9.00   9.00   9.00   9.00   9.00   0.00
 *   T4   trolley   trolley-7  11-09  pensioner  15.00   0.00   0.00   0.00   0.00  15.00   0.00
 *   T5   bus       bus-10     11-10  adult      18.00  18.00  18.00  18.00  18.00   0.00   0.00
 *   T6   bus       bus-2      11-10  adult      18.00  18.00  18.00  18.00  18.00   0.00   0.00
 *   T7   trolley   trolley-4  11-10  adult      15.00  15.00  15.00  15.00  15.00   0.00   0.00
 *   T8   bus       bus-10     11-10  adult      18.00  18.00  18.00   3.00   3.00   0.00   0.00  adult-day
 *   T9   bus       bus-15     11-10  adult      18.00  18.00  18.00   0.00   0.00   0.00   0.00  adult-day
 *   T10  bus       bus-10     11-10  adult      18.00  18.00  18.00  18.00  18.00   0.00   0.00
 *   T12  bus       bus-2      11-10  adult      18.00  18.00  18.00  18.00  18.00   0.00  -5.45
 *   T11  trolley   trolley-1  11-10  adult       5.00  15.00   5.00   5.00  15.00   0.00  +5.45
 *
 * Columns: nominalFares = sum F; transferDiscounts = sum (L - B); concessionDiscounts = sum (F - B);
 * capDiscounts = sum (B - A); riderFares = sum A (= nominal - concession - cap discounts);
 * lateTapAdjustments = sum (A - A1); concessionCompensation = sum C; revenueSplit = sum S; net = sum (A + C + S).
 */

import { moneyFromDb } from '@fare/db'
import { Decimal, ZERO } from '@fare/money'
import { parse } from 'csv-parse/sync'
import t, { type Test } from 'tap'
import { BUS, type MoneyScenario, setupMoneyScenario, TROLLEY } from './scenario.ts'

const s: MoneyScenario = await setupMoneyScenario('reports-money')
t.teardown(() => s.close())

type Json = Record<string, unknown> & { rows: Record<string, unknown>[]; totals?: Record<string, unknown> }
const code = (res: { json(): unknown }) => (res.json() as { error?: { code?: string } }).error?.code

/** The report as JSON (asserting 200), and its CSV parsed: the same rows, every cell as text. */
async function report(t: Test, url: string, token = s.adminToken): Promise<Json> {
  const res = await s.get(url, token)
  t.equal(res.statusCode, 200, `${url}: 200 (${res.body.slice(0, 200)})`)
  const json = res.json() as Json
  const csv = await s.get(url, token, { accept: 'text/csv' })
  t.equal(csv.statusCode, 200, `${url} as CSV: 200`)
  t.match(csv.headers['content-type'], /^text\/csv/)
  const records = parse(csv.body, { columns: true, skip_empty_lines: true }) as Record<string, string>[]
  const asText = json.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? '' : String(v)])))
  t.same(records, asText, `${url}: the CSV parses into the JSON's rows`)
  if (json.rows[0]) t.same(csv.body.split('\r\n')[0]?.split(','), Object.keys(json.rows[0]), 'the header row names the columns in order')
  return json
}

const revenueRow = (key: Record<string, string>, f: [number, string, string, string, string, string, string, string, string, string]) => ({
  ...key,
  rides: f[0],
  nominalFares: f[1],
  transferDiscounts: f[2],
  concessionDiscounts: f[3],
  capDiscounts: f[4],
  riderFares: f[5],
  lateTapAdjustments: f[6],
  concessionCompensation: f[7],
  revenueSplit: f[8],
  net: f[9],
})

t.test('the ledger settled the scenario; the unknown route was rejected, not charged', async (t) => {
  t.same(s.invariants, [], 'ledger:check finds nothing')
  const rejected = await s.db.selectFrom('rejected_taps').select(['tap_id', 'code']).execute()
  t.same(rejected, [{ tap_id: s.taps.R?.tapId, code: 'UNKNOWN_ROUTE' }])
  const charges = await s.db.selectFrom('tap_charges').select('tap_id').execute()
  t.equal(charges.length, 12, 'twelve charges (T1 ... T12)')
  t.notOk(
    charges.some((c) => c.tap_id === s.taps.R?.tapId),
    'no charge for the rejected tap',
  )
})

t.test('revenue by operator', async (t) => {
  // lutsk-bus: T1 T3 T5 T6 T8 T9 T10 T12, 8 rides.
  //   nominal 8 x 18.00 = 144.00; transfer discounts 0 (no bus leg was a transfer; T3: L 9 - B 9 = 0);
  //   concession discounts T3 18 - 9 = 9.00; cap discounts T8 18 - 3 = 15 + T9 18 - 0 = 18 -> 33.00;
  //   rider fares 144 - 9 - 33 = 102.00 (18 + 9 + 18 + 18 + 3 + 0 + 18 + 18); no late-tap change on a bus charge;
  //   concession 9.00 (T3); split T1 -5.45 + T12 -5.45 = -10.90; net 102 + 9 - 10.90 = 100.10.
  // lutsk-trolley: T2 T4 T7 T11, 4 rides.
  //   nominal 5 + 15 + 15 + 5 = 40.00; transfer discounts T2 15 - 5 = 10 + T11 15 - 5 = 10 -> 20.00;
  //   concession discounts T4 15 - 0 = 15.00; cap discounts 0; rider fares 40 - 15 - 0 = 25.00 (5 + 0 + 15 + 5);
  //   late-tap adjustments T11 5 - 15 = -10.00; concession 15.00 (T4); split T2 +5.45 + T11 +5.45 = 10.90;
  //   net 25 + 15 + 10.90 = 50.90.
  // Totals: 12 rides; 184.00, 20.00, 24.00, 33.00, 127.00, -10.00, 24.00, 0.00 (the splits cancel out), 151.00.
  const json = await report(t, '/v1/reports/revenue?from=2026-11-09&to=2026-11-11&groupBy=operator')
  t.same(json, {
    report: 'revenue',
    from: '2026-11-09',
    to: '2026-11-11',
    timeZone: 'Europe/Kyiv',
    operator: null,
    currency: 'UAH',
    groupBy: 'operator',
    rows: [
      revenueRow({ operator: BUS }, [8, '144.00', '0.00', '9.00', '33.00', '102.00', '0.00', '9.00', '-10.90', '100.10']),
      revenueRow({ operator: TROLLEY }, [4, '40.00', '20.00', '15.00', '0.00', '25.00', '-10.00', '15.00', '10.90', '50.90']),
    ],
    totals: revenueRow({}, [12, '184.00', '20.00', '24.00', '33.00', '127.00', '-10.00', '24.00', '0.00', '151.00']),
  })
  // What the riders paid, card by card: mix 18 + 5 = 23; student 9; pensioner 0; capped 18 + 18 + 15 + 3 + 0 = 54 (the
  // day cap); late 18 + 18 + 5 = 41: 23 + 9 + 0 + 54 + 41 = 127.00, the rider fares.
})

t.test('revenue by day: refunds are a city-level column of the every-operator view', async (t) => {
  // 11-09: T1 T2 T3 T4: nominal 18 + 5 + 18 + 15 = 56; transfer T2 10; concession T3 9 + T4 15 = 24; cap 0;
  //   rider fares 56 - 24 = 32 (18 + 5 + 9 + 0); concession 24; split -5.45 + 5.45 = 0; net 32 + 24 = 56.00.
  // 11-10: T5 ... T12, 8 rides: nominal 6 x 18 + 15 + 5 = 128; transfer T11 10; concession 0; cap 33;
  //   rider fares 128 - 33 = 95; adjustments T11 -10; split -5.45 + 5.45 = 0; net 95.00.
  // No refund was posted in November (the refund is posted today): 0.00 on both days.
  const json = await report(t, '/v1/reports/revenue?from=2026-11-09&to=2026-11-11&groupBy=day')
  t.same(json.rows, [
    { ...revenueRow({ day: '2026-11-09' }, [4, '56.00', '10.00', '24.00', '0.00', '32.00', '0.00', '24.00', '0.00', '56.00']), refunds: '0.00' },
    { ...revenueRow({ day: '2026-11-10' }, [8, '128.00', '10.00', '0.00', '33.00', '95.00', '-10.00', '0.00', '0.00', '95.00']), refunds: '0.00' },
  ])
  t.same(json.totals, { ...revenueRow({}, [12, '184.00', '20.00', '24.00', '33.00', '127.00', '-10.00', '24.00', '0.00', '151.00']), refunds: '0.00' })

  // The day the refund was posted: no rides, the 20.00 paid back to `mix`; net is the operators' and stays 0.00.
  const day = s.refundDay
  const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
  const today = await report(t, `/v1/reports/revenue?from=${day}&to=${next}&groupBy=day`)
  const zero: [number, string, string, string, string, string, string, string, string, string] = [
    0,
    '0.00',
    '0.00',
    '0.00',
    '0.00',
    '0.00',
    '0.00',
    '0.00',
    '0.00',
    '0.00',
  ]
  t.same(today.rows, [{ ...revenueRow({ day }, zero), refunds: '20.00' }])
  t.same(today.totals, { ...revenueRow({}, zero), refunds: '20.00' })

  // An operator's view has no refunds column: refunds are no operator's money.
  const own = await report(t, '/v1/reports/revenue?from=2026-11-09&to=2026-11-11&groupBy=day', s.operatorToken(TROLLEY))
  t.same(own.rows, [
    // 11-09: T2 T4: nominal 5 + 15 = 20; transfer 10; concession 15; rider fares 5; concession comp 15; split +5.45; net 25.45.
    revenueRow({ day: '2026-11-09' }, [2, '20.00', '10.00', '15.00', '0.00', '5.00', '0.00', '15.00', '5.45', '25.45']),
    // 11-10: T7 T11: nominal 15 + 5 = 20; transfer 10; rider fares 20; adjustment -10; split +5.45; net 25.45.
    revenueRow({ day: '2026-11-10' }, [2, '20.00', '10.00', '0.00', '0.00', '20.00', '-10.00', '0.00', '5.45', '25.45']),
  ])
})

t.test('revenue by route; an operator sees its own routes only', async (t) => {
  // bus-10: T1 T5 T8 T10: nominal 72; cap T8 15; fares 18 + 18 + 3 + 18 = 57; split T1 -5.45; net 51.55.
  // bus-15: T3 T9: nominal 36; concession disc T3 9; cap T9 18; fares 9 + 0 = 9; concession 9; net 18.00.
  // bus-2: T6 T12: nominal 36; fares 36; split T12 -5.45; net 30.55.
  // trolley-1: T2 T11: nominal 5 + 5 = 10; transfer 10 + 10 = 20; fares 10; adjustment -10; split +10.90; net 20.90.
  // trolley-4: T7: 15 all through; net 15.00. trolley-7: T4: nominal 15, concession disc 15, fares 0, concession 15; net 15.00.
  const bus10 = revenueRow({ route: 'bus-10' }, [4, '72.00', '0.00', '0.00', '15.00', '57.00', '0.00', '0.00', '-5.45', '51.55'])
  const bus15 = revenueRow({ route: 'bus-15' }, [2, '36.00', '0.00', '9.00', '18.00', '9.00', '0.00', '9.00', '0.00', '18.00'])
  const bus2 = revenueRow({ route: 'bus-2' }, [2, '36.00', '0.00', '0.00', '0.00', '36.00', '0.00', '0.00', '-5.45', '30.55'])
  const trolley1 = revenueRow({ route: 'trolley-1' }, [2, '10.00', '20.00', '0.00', '0.00', '10.00', '-10.00', '0.00', '10.90', '20.90'])
  const trolley4 = revenueRow({ route: 'trolley-4' }, [1, '15.00', '0.00', '0.00', '0.00', '15.00', '0.00', '0.00', '0.00', '15.00'])
  const trolley7 = revenueRow({ route: 'trolley-7' }, [1, '15.00', '0.00', '15.00', '0.00', '0.00', '0.00', '15.00', '0.00', '15.00'])
  const all = await report(t, '/v1/reports/revenue?from=2026-11-09&to=2026-11-11&groupBy=route')
  t.same(all.rows, [bus10, bus15, bus2, trolley1, trolley4, trolley7])
  t.equal(all.totals?.net, '151.00', 'the routes add up to the operators')

  const bus = await report(t, '/v1/reports/revenue?from=2026-11-09&to=2026-11-11&groupBy=route', s.operatorToken(BUS))
  t.equal(bus.operator, BUS)
  t.same(bus.rows, [bus10, bus15, bus2], "lutsk-trolley's routes are absent")
  t.same(bus.totals, revenueRow({}, [8, '144.00', '0.00', '9.00', '33.00', '102.00', '0.00', '9.00', '-10.90', '100.10']))
  const forbidden = await s.get(`/v1/reports/revenue?from=2026-11-09&to=2026-11-11&operator=${TROLLEY}`, s.operatorToken(BUS))
  t.equal(forbidden.statusCode, 403)
  t.equal(code(forbidden), 'REPORT_OPERATOR_FORBIDDEN')
  const filtered = await report(t, `/v1/reports/revenue?from=2026-11-09&to=2026-11-11&groupBy=route&operator=${TROLLEY}`)
  t.same(filtered.rows, [trolley1, trolley4, trolley7], 'an admin may ask for one operator')
})

t.test('concessions: the monthly claim per operator and concession category', async (t) => {
  // November's concession rides: T3 (student, lutsk-bus): full fare 18.00, paid 9.00, owed 18 - 9 = 9.00;
  // T4 (pensioner, lutsk-trolley): full fare 15.00, paid 0.00, owed 15.00. Adults (the default category) are not claimed.
  const json = await report(t, '/v1/reports/concessions?month=2026-11')
  t.same(json, {
    report: 'concessions',
    from: '2026-11-01',
    to: '2026-12-01',
    timeZone: 'Europe/Kyiv',
    operator: null,
    currency: 'UAH',
    month: '2026-11',
    rows: [
      { operator: BUS, riderCategory: 'student', rides: 1, fullFareValue: '18.00', paidByRiders: '9.00', owedByCity: '9.00' },
      { operator: TROLLEY, riderCategory: 'pensioner', rides: 1, fullFareValue: '15.00', paidByRiders: '0.00', owedByCity: '15.00' },
    ],
    totals: { rides: 2, fullFareValue: '33.00', paidByRiders: '9.00', owedByCity: '24.00' },
  })
  const csv = await s.get('/v1/reports/concessions?month=2026-11&format=csv', s.operatorToken(TROLLEY))
  t.equal(
    csv.body,
    'operator,riderCategory,rides,fullFareValue,paidByRiders,owedByCity\r\nlutsk-trolley,pensioner,1,15.00,0.00,15.00\r\n',
    'the document lutsk-trolley sends the city: a header and its own rows, nothing else',
  )
  t.match(csv.headers['content-disposition'], /filename="concessions-lutsk-trolley-2026-11-01-2026-12-01\.csv"/)
  const range = await report(t, '/v1/reports/concessions?from=2026-11-10&to=2026-11-11')
  t.same(range.rows, [], 'from and to instead of a month: no concession ride on 11-10')
  t.equal(range.month, null)
})

t.test('caps: riders who reached a cap, rides inside it, revenue forgone', async (t) => {
  // Only `capped` reached a cap (adult-day on 11-10): T8 charged 3.00 of 18.00 and T9 0.00 of 18.00:
  // 1 rider, 2 rides, forgone (18 - 3) + (18 - 0) = 33.00 (the revenue report's cap discounts).
  const byCap = await report(t, '/v1/reports/caps?from=2026-11-01&to=2026-12-01')
  t.same(byCap.rows, [{ cap: 'adult-day', riders: 1, rides: 2, revenueForgone: '33.00' }])
  t.same(byCap.totals, { riders: 1, rides: 2, revenueForgone: '33.00' })
  const byDay = await report(t, '/v1/reports/caps?from=2026-11-01&to=2026-12-01&groupBy=day')
  t.same(byDay.rows, [{ day: '2026-11-10', cap: 'adult-day', riders: 1, rides: 2, revenueForgone: '33.00' }])
  // T7, capped's trolleybus ride, came before the cap was reached: lutsk-trolley forwent nothing.
  const trolley = await s.get('/v1/reports/caps?from=2026-11-01&to=2026-12-01', s.operatorToken(TROLLEY))
  t.same(trolley.json().rows, [])
  t.same(trolley.json().totals, { riders: 0, rides: 0, revenueForgone: '0.00' })
})

/** The account's balance from the ledger's transfers posted before `before` (what the statement must tie to). */
async function ledgerBalance(operator: string, before: string): Promise<Decimal> {
  const account = await s.db
    .selectFrom('accounts')
    .select('id')
    .where('kind', '=', 'operator_revenue')
    .where('operator_id', '=', operator)
    .executeTakeFirstOrThrow()
  const transfers = await s.db
    .selectFrom('transfers')
    .select(['amount', 'credit_account_id'])
    .where((eb) => eb.or([eb('credit_account_id', '=', account.id), eb('debit_account_id', '=', account.id)]))
    .where('created_at', '<', new Date(before))
    .execute()
  return transfers.reduce((sum, r) => (r.credit_account_id === account.id ? sum.plus(moneyFromDb(r.amount)) : sum.minus(moneyFromDb(r.amount))), ZERO)
}

/** What tap_charges says the operator's revenue account got for its rides (all posted this month). */
async function fromTapCharges(operator: string) {
  const rows = await s.db.selectFrom('tap_charges').select(['amount', 'first_amount', 'concession', 'split']).where('operator_id', '=', operator).execute()
  const sum = (f: (r: (typeof rows)[number]) => Decimal) => rows.reduce((acc, r) => acc.plus(f(r)), ZERO)
  return {
    fares: sum((r) => moneyFromDb(r.first_amount)),
    adjustments: sum((r) => moneyFromDb(r.amount).minus(moneyFromDb(r.first_amount))),
    concession: sum((r) => moneyFromDb(r.concession)),
    split: sum((r) => moneyFromDb(r.split)),
  }
}

const statementRows = (lines: [string, number | null, string][]) => lines.map(([line, transfers, amount]) => ({ line, transfers, amount }))

t.test('operator statement: ties to the ledger and to tap_charges', async (t) => {
  const month = s.postedMonth
  // lutsk-bus, this month (every ride was posted today):
  //   opening 100.00 (the manual adjustment back-dated to an earlier month);
  //   rider fares (kind fare, one per charged tap): T1 18 + T3 9 + T5 18 + T6 18 + T8 3 + T10 18 + T12 18 = 102.00, 7 transfers
  //     (T9 was charged 0.00: nothing posted);
  //   revenue split out: J1 5.45 and the late journey 5.45 to lutsk-trolley = -10.90, 2 transfers;
  //   concession compensation: T3 9.00; manual adjustments: -1.50 (the fee posted today);
  //   closing 100 + 102 - 10.90 + 9 - 1.50 = 198.60.
  const bus = await report(t, `/v1/reports/operator-statement?month=${month}`, s.operatorToken(BUS))
  t.equal(bus.operator, BUS)
  t.equal(bus.month, month)
  t.same(
    bus.rows,
    statementRows([
      ['openingBalance', null, '100.00'],
      ['riderFares', 7, '102.00'],
      ['lateTapAdjustments', 0, '0.00'],
      ['revenueSplitIn', 0, '0.00'],
      ['revenueSplitOut', 2, '-10.90'],
      ['concessionCompensation', 1, '9.00'],
      ['manualAdjustments', 1, '-1.50'],
      ['other', 0, '0.00'],
      ['closingBalance', null, '198.60'],
    ]),
  )
  t.same(bus.totals, { openingBalance: '100.00', movements: '98.60', closingBalance: '198.60' })

  // lutsk-trolley: opening 0.00; rider fares T2 5 + T7 15 + T11 15 (its first rating) = 35.00, 3 transfers (T4 was 0.00);
  //   late-tap adjustment T11 15.00 -> 5.00: -10.00; split in 5.45 + 5.45 = 10.90; concession T4 15.00;
  //   closing 35 - 10 + 10.90 + 15 = 50.90 (the revenue report's net for lutsk-trolley: no opening, no adjustment).
  const trolley = await report(t, `/v1/reports/operator-statement?month=${month}&operator=${TROLLEY}`)
  t.same(
    trolley.rows,
    statementRows([
      ['openingBalance', null, '0.00'],
      ['riderFares', 3, '35.00'],
      ['lateTapAdjustments', 1, '-10.00'],
      ['revenueSplitIn', 2, '10.90'],
      ['revenueSplitOut', 0, '0.00'],
      ['concessionCompensation', 1, '15.00'],
      ['manualAdjustments', 0, '0.00'],
      ['other', 0, '0.00'],
      ['closingBalance', null, '50.90'],
    ]),
  )

  for (const [operator, json] of [
    [BUS, bus],
    [TROLLEY, trolley],
  ] as const) {
    const amounts = new Map(json.rows.map((r) => [r.line as string, new Decimal(r.amount as string)]))
    const line = (name: string) => amounts.get(name) ?? ZERO
    const opening = line('openingBalance')
    const closing = line('closingBalance')
    const movements = [...amounts].filter(([name]) => name !== 'openingBalance' && name !== 'closingBalance').reduce((a, [, v]) => a.plus(v), ZERO)
    t.ok(opening.plus(movements).equals(closing), `${operator}: opening + lines = closing`)
    t.ok((await ledgerBalance(operator, json.postedFrom as string)).equals(opening), `${operator}: opening = the account's transfers before the month`)
    t.ok((await ledgerBalance(operator, json.postedTo as string)).equals(closing), `${operator}: closing = the account's transfers up to the month's end`)
    const cached = await s.db.selectFrom('accounts').select('balance').where('operator_id', '=', operator).executeTakeFirstOrThrow()
    t.ok(moneyFromDb(cached.balance).equals(closing), `${operator}: closing = the account's balance (nothing posted since)`)
    // Every ride was posted this month and no late tap crossed the month's boundary: the lines are tap_charges' figures.
    const charges = await fromTapCharges(operator)
    t.ok(line('riderFares').equals(charges.fares), `${operator}: rider fares = sum of first_amount`)
    t.ok(line('lateTapAdjustments').equals(charges.adjustments), `${operator}: adjustments = sum of amount - first_amount`)
    t.ok(line('revenueSplitIn').plus(line('revenueSplitOut')).equals(charges.split), `${operator}: split in + out = sum of split`)
    t.ok(line('concessionCompensation').equals(charges.concession), `${operator}: concession = sum of concession`)
  }

  // The back-dated month: the +100.00 adjustment is its only line.
  const earlier = await report(t, `/v1/reports/operator-statement?month=${s.backDatedMonth}&operator=${BUS}`)
  t.same(earlier.totals, { openingBalance: '0.00', movements: '100.00', closingBalance: '100.00' })
  t.same(
    earlier.rows.find((r) => r.line === 'manualAdjustments'),
    { line: 'manualAdjustments', transfers: 1, amount: '100.00' },
  )
})

t.test('operator statement: whose', async (t) => {
  const month = s.postedMonth
  const other = await s.get(`/v1/reports/operator-statement?month=${month}&operator=${TROLLEY}`, s.operatorToken(BUS))
  t.equal(other.statusCode, 403)
  t.equal(code(other), 'REPORT_OPERATOR_FORBIDDEN')
  const none = await s.get(`/v1/reports/operator-statement?month=${month}`)
  t.equal(none.statusCode, 400, 'an admin must name the operator')
  t.equal(code(none), 'REPORT_OPERATOR_REQUIRED')
  // An operator with no revenue account (no ride settled for it, or no such operator): a statement of zeros, as the
  // other reports answer an operator without rows.
  const unknown = await s.get(`/v1/reports/operator-statement?month=${month}&operator=nobody`)
  t.equal(unknown.statusCode, 200)
  t.same(unknown.json().totals, { openingBalance: '0.00', movements: '0.00', closingBalance: '0.00' })
  t.equal(unknown.json().accountId, null)
  const rider = await s.get(`/v1/reports/operator-statement?month=${month}`, s.issuer.riderToken('rider-1'))
  t.equal(rider.statusCode, 403)
})

t.test('bad input: 400 with a code, for every money report', async (t) => {
  const cases: [string, string][] = [
    ['/v1/reports/revenue?from=2026-11-31&to=2026-12-01', 'REPORT_RANGE_INVALID'],
    ['/v1/reports/revenue?from=2026-11-10&to=2026-11-09', 'REPORT_RANGE_INVALID'],
    ['/v1/reports/revenue?from=2026-11-10&to=2026-11-10', 'REPORT_RANGE_INVALID'],
    ['/v1/reports/revenue?from=2025-01-01&to=2026-11-10', 'REPORT_RANGE_INVALID'],
    ['/v1/reports/revenue?from=2026-11-01&to=2026-12-01&groupBy=hour', 'REQUEST_INVALID'],
    ['/v1/reports/revenue?from=2026-11-01', 'REQUEST_INVALID'],
    ['/v1/reports/caps?from=2026-11-01&to=2026-12-01&groupBy=route', 'REQUEST_INVALID'],
    ['/v1/reports/caps?from=11/01/2026&to=2026-12-01', 'REPORT_RANGE_INVALID'],
    ['/v1/reports/concessions?month=2026-13', 'REPORT_RANGE_INVALID'],
    ['/v1/reports/concessions?month=2026-1', 'REQUEST_INVALID'],
    ['/v1/reports/concessions?month=2026-11&from=2026-11-01&to=2026-12-01', 'REPORT_RANGE_INVALID'],
    ['/v1/reports/concessions', 'REPORT_RANGE_INVALID'],
    ['/v1/reports/concessions?from=2026-11-01', 'REPORT_RANGE_INVALID'],
    [`/v1/reports/operator-statement?month=2026-00&operator=${BUS}`, 'REPORT_RANGE_INVALID'],
    [`/v1/reports/operator-statement?operator=${BUS}`, 'REPORT_RANGE_INVALID'],
    [`/v1/reports/operator-statement?from=2026-12-01&to=2026-11-01&operator=${BUS}`, 'REPORT_RANGE_INVALID'],
  ]
  for (const [url, expected] of cases) {
    const res = await s.get(url)
    t.equal(res.statusCode, 400, `${url}: 400`)
    t.equal(code(res), expected, `${url}: ${expected}`)
  }
})
