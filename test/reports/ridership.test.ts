/**
 * The ridership report on the scenario of test/reports/scenario.ts, settled
 * by the real ledger. Every boarding is an entry tap; the rejected tap R is no
 * boarding. Worked out by hand from the scenario's table:
 *
 *   tap  day    hour  route      stop  category   card       journey (first entry)
 *   T1   11-09  08    bus-10     S1    adult      mix        T1
 *   T2   11-09  08    trolley-1  S2    adult      mix        T1 (transfer)
 *   T3   11-09  10    bus-15     S5    student    student    T3
 *   T4   11-09  11    trolley-7  S5    pensioner  pensioner  T4
 *   T5   11-10  07    bus-10     S1    adult      capped     T5
 *   T6   11-10  09    bus-2      S2    adult      capped     T6 (bus to bus: no transfer)
 *   T7   11-10  11    trolley-4  S3    adult      capped     T7 (120 min later: no transfer)
 *   T8   11-10  13    bus-10     S4    adult      capped     T8
 *   T9   11-10  15    bus-15     S5    adult      capped     T9
 *   T10  11-10  09    bus-10     S1    adult      late       T10
 *   T12  11-10  10    bus-2      S2    adult      late       T12 (bus to bus from T10: no transfer)
 *   T11  11-10  10    trolley-1  S2    adult      late       T12 (transfer, 30 min after T12)
 *
 * Totals: 12 boardings, 10 journeys (T1, T3, T4, T5, T6, T7, T8, T9, T10, T12), 5 riders.
 */
import { parse } from 'csv-parse/sync'
import t, { type Test } from 'tap'
import { type MoneyScenario, setupMoneyScenario, TROLLEY } from './scenario.ts'

const s: MoneyScenario = await setupMoneyScenario('reports-ridership')
t.teardown(() => s.close())

const RANGE = 'from=2026-11-09&to=2026-11-11'
type Json = { rows: Record<string, unknown>[]; totals: Record<string, unknown>; groupBy: string; operator: string | null }

async function ridership(t: Test, query: string, token = s.adminToken): Promise<Json> {
  const url = `/v1/reports/ridership?${RANGE}&${query}`
  const res = await s.get(url, token)
  t.equal(res.statusCode, 200, `${url}: 200 (${res.body.slice(0, 200)})`)
  const json = res.json() as Json
  const csv = await s.get(`${url}&format=csv`, token)
  const records = parse(csv.body, { columns: true, skip_empty_lines: true }) as Record<string, string>[]
  t.same(
    records,
    json.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, String(v)]))),
    'the CSV parses into the same rows',
  )
  return json
}

const row = (key: string, value: string, boardings: number, journeys: number, riders: number) => ({ [key]: value, boardings, journeys, riders })

t.test('by day', async (t) => {
  const json = await ridership(t, 'groupBy=day')
  t.same(json.rows, [row('day', '2026-11-09', 4, 3, 3), row('day', '2026-11-10', 8, 7, 2)])
  t.same(json.totals, { boardings: 12, journeys: 10, riders: 5 })
  t.equal(json.operator, null, 'an admin sees every operator')
})

t.test('by hour', async (t) => {
  const json = await ridership(t, 'groupBy=hour')
  t.same(json.rows, [
    row('hour', '07', 1, 1, 1),
    row('hour', '08', 2, 1, 1),
    row('hour', '09', 2, 2, 2),
    row('hour', '10', 3, 2, 2),
    row('hour', '11', 2, 2, 2),
    row('hour', '13', 1, 1, 1),
    row('hour', '15', 1, 1, 1),
  ])
})

t.test('by route, stop and rider category', async (t) => {
  t.same((await ridership(t, 'groupBy=route')).rows, [
    row('route', 'bus-10', 4, 4, 3),
    row('route', 'bus-15', 2, 2, 2),
    row('route', 'bus-2', 2, 2, 2),
    row('route', 'trolley-1', 2, 2, 2),
    row('route', 'trolley-4', 1, 1, 1),
    row('route', 'trolley-7', 1, 1, 1),
  ])
  t.same((await ridership(t, 'groupBy=stop')).rows, [
    row('stop', 'S1', 3, 3, 3),
    row('stop', 'S2', 4, 3, 3),
    row('stop', 'S3', 1, 1, 1),
    row('stop', 'S4', 1, 1, 1),
    row('stop', 'S5', 3, 3, 3),
  ])
  t.same((await ridership(t, 'groupBy=riderCategory')).rows, [
    row('riderCategory', 'adult', 10, 8, 3),
    row('riderCategory', 'pensioner', 1, 1, 1),
    row('riderCategory', 'student', 1, 1, 1),
  ])
})

t.test("an operator sees its own routes only, and never another operator's", async (t) => {
  const token = s.operatorToken(TROLLEY)
  const json = await ridership(t, 'groupBy=route', token)
  t.equal(json.operator, TROLLEY)
  t.same(json.rows, [row('route', 'trolley-1', 2, 2, 2), row('route', 'trolley-4', 1, 1, 1), row('route', 'trolley-7', 1, 1, 1)])
  t.same(json.totals, { boardings: 4, journeys: 4, riders: 4 })
  const other = await s.get(`/v1/reports/ridership?${RANGE}&operator=lutsk-bus`, token)
  t.equal(other.statusCode, 403)
  t.equal((other.json() as { error: { code: string } }).error.code, 'REPORT_OPERATOR_FORBIDDEN')
})

t.test('bad ranges and an unknown groupBy are 400 with a code', async (t) => {
  const codeOf = async (query: string) => {
    const res = await s.get(`/v1/reports/ridership?${query}`)
    t.equal(res.statusCode, 400, `${query}: 400`)
    return (res.json() as { error: { code: string } }).error.code
  }
  t.equal(await codeOf('from=2026-11-31&to=2026-12-01'), 'REPORT_RANGE_INVALID', 'no such date')
  t.equal(await codeOf('from=2026-11-10&to=2026-11-09'), 'REPORT_RANGE_INVALID', 'reversed')
  t.equal(await codeOf('from=2026-11-10&to=2026-11-10'), 'REPORT_RANGE_INVALID', 'empty')
  t.equal(await codeOf('from=2025-01-01&to=2026-11-10'), 'REPORT_RANGE_INVALID', 'over a year')
  t.equal(await codeOf(`${RANGE}&groupBy=vehicle`), 'REQUEST_INVALID', 'unknown groupBy')
  t.equal(await codeOf('to=2026-11-10'), 'REQUEST_INVALID', 'no from')
})
