/**
 * The table-schema validator the TIDES export test relies on: it passes a
 * valid CSV and finds each kind of fault it claims to find, so a passing
 * export test means something.
 */
import t from 'tap'
import { devicesSchema, fareTransactionsSchema, type TableSchema } from '../src/exports/tides/schemas.ts'
import { parseCsv, parsesAs, validateCsv } from './support/table-schema.ts'

const header = fareTransactionsSchema.fields.map((f) => f.name)
/** A valid fare_transactions row, with `changes` applied by column name. */
function row(changes: Record<string, string> = {}): string {
  const values: Record<string, string> = {
    transaction_id: 'tap-1',
    service_date: '2026-11-10',
    event_timestamp: '2026-11-10T05:10:00Z',
    amount: '18.00',
    currency_type: 'UAH',
    fare_action: 'Enter',
    stop_id: 'S1',
    fare_capped: 'false',
    ...changes,
  }
  return header.map((name) => values[name] ?? '').join(',')
}
const csv = (...rows: string[]) => `${[header.join(','), ...rows].join('\r\n')}\r\n`

t.test('a valid CSV has no problems', async (t) => {
  t.same(validateCsv(fareTransactionsSchema, csv(row(), row({ transaction_id: 'tap-2', fare_action: 'Transfer entrance', fare_capped: 'true' }))), [])
  t.same(
    validateCsv(devicesSchema, 'device_id,stop_id,vehicle_id,train_car_id,device_type,device_vendor,device_model,device_location\r\nval-1,,,,AFC,,,\r\n'),
    [],
  )
})

t.test('each fault is found, on its line and field', async (t) => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ['a value outside the enum', { fare_action: 'Board' }, /line 2, fare_action: "Board" is not one of the allowed values/],
    ['a required field empty', { fare_capped: '' }, /line 2, fare_capped: required, but empty/],
    ['the primary key empty', { transaction_id: '' }, /line 2, transaction_id: required/],
    ['a number that is not one', { amount: '18.0.0' }, /amount: "18.0.0" is not a valid number/],
    ['a boolean that is not one', { fare_capped: 'yes' }, /fare_capped: "yes" is not a valid boolean/],
    ['a date that is not a calendar day', { service_date: '2026-02-30' }, /service_date: "2026-02-30" is not a valid date/],
    ['a datetime not in UTC', { event_timestamp: '2026-11-10T07:10:00+02:00' }, /event_timestamp: .* is not a valid datetime/],
    ['an integer below its minimum', { trip_stop_sequence: '0' }, /trip_stop_sequence: 0 is below the minimum 1/],
    ['an integer that is not one', { num_riders: '1.5' }, /num_riders: "1.5" is not a valid integer/],
  ]
  for (const [what, changes, expected] of cases) {
    const problems = validateCsv(fareTransactionsSchema, csv(row(changes)))
    t.equal(problems.length, 1, `${what}: one problem (${problems.join('; ')})`)
    t.match(problems[0], expected, what)
  }
})

t.test('a duplicate key, a short row and a wrong header are found', async (t) => {
  t.match(validateCsv(fareTransactionsSchema, csv(row(), row())), [/line 3, transaction_id: "tap-1" again \(first on line 2\)/])
  t.match(validateCsv(fareTransactionsSchema, csv('tap-1,2026-11-10')), [/line 2: 2 values, the header has 24/])
  const reordered = [header[1], header[0], ...header.slice(2)].join(',')
  t.match(validateCsv(fareTransactionsSchema, `${reordered}\r\n`), [/not the schema's fields in order/])
})

t.test('types in their default formats', async (t) => {
  t.ok(parsesAs('time', '23:59:59'))
  t.notOk(parsesAs('time', '24:00:00'))
  t.ok(parsesAs('duration', 'P1DT2H'))
  t.notOk(parsesAs('duration', 'P'))
  t.ok(parsesAs('number', '-1.5e3'))
  t.ok(parsesAs('integer', '+7'))
})

t.test('the CSV reader follows RFC 4180', async (t) => {
  t.same(parseCsv('a,"b,c","d ""e"""\r\n"f\r\ng",,\n'), [
    ['a', 'b,c', 'd "e"'],
    ['f\r\ng', '', ''],
  ])
  t.throws(() => parseCsv('"open'))
  const minimal: TableSchema = { name: 'x', title: 'x', description: 'x', primaryKey: 'id', missingValues: [''], fields: [{ name: 'id', type: 'string' }] }
  t.same(validateCsv(minimal, 'id\r\n"a,b"\r\n'), [], 'a quoted value with a comma is one value')
})
