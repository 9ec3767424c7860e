/**
 * The TIDES export on data the ledger really settled (test/ledger/harness.ts):
 * taps produced to Kafka, rated by the ledger's consumer into tap_charges,
 * then exported, unzipped and checked against our table schemas
 * (support/table-schema.ts), row by row.
 *
 * The scenario (demo tariff; Kyiv is UTC+2 in November), card ct_tides_alice_1, adult:
 *   Mon 2026-11-09 08:00  bus-10, S1, vehicle bus-0417   18.00  Enter
 *                  08:40  trolley-1, S2                    5.00  Transfer entrance (bus -> trolleybus within 60 min)
 *   Tue 2026-11-10 07:10  bus-10                          18.00
 *                  09:40  bus-2                           18.00
 *                  13:05  bus-10                          18.00  the day reaches the 54.00 adult day cap
 *                  18:30  bus-15                           0.00  capped: fare_capped true
 *   Wed 2026-11-11 08:00  bus-10                          18.00  outside the range [11-09, 11-11)
 * Devices: dev-bus-10, dev-bus-2, dev-bus-15 (lutsk-bus); dev-trolley-1, dev-trolley-4 (lutsk-trolley).
 */
import http from 'node:http'
import { AUDIENCE } from '@fare/auth'
import { Decimal } from '@fare/money'
import { createLogger, createMetricsRegistry } from '@fare/platform'
import { sql } from 'kysely'
import t from 'tap'
import yauzl from 'yauzl'
import { createLedgerBench, fundCard, tapEvent } from '../../../test/ledger/harness.ts'
import { createTestIssuer } from '../../../test/support/keys.ts'
import { waitFor } from '../../../test/support/stack.ts'
import { buildApp } from '../src/app.ts'
import { devicesSchema, fareTransactionsSchema, TIDES_PROFILE_URL } from '../src/exports/tides/schemas.ts'
import { parseCsv, validateCsv } from './support/table-schema.ts'

const ALICE = 'ct_tides_alice_1'

const bench = await createLedgerBench('api-tides', { partitions: 1 })
t.teardown(() => bench.close())
const { db } = bench.database
await bench.startInProcess()

const issuer = createTestIssuer()
const app = await buildApp({
  logger: createLogger({ level: 'silent', name: 'api-test' }),
  db,
  registry: createMetricsRegistry('api'),
  jwtPublicKeyPem: issuer.publicKeyPem,
  now: () => new Date('2026-12-01T10:00:00Z'),
})
t.teardown(() => app.close())

const adminToken = issuer.adminToken()
const operatorToken = (operatorId: string) => issuer.sign({ sub: `staff-${operatorId}`, role: 'operator', operator_id: operatorId }, AUDIENCE.api)
const get = (url: string, token = adminToken) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })

await db
  .insertInto('operators')
  .values([
    { id: 'lutsk-bus', name: 'Lutsk bus' },
    { id: 'lutsk-trolley', name: 'Lutsk trolleybus' },
  ])
  .onConflict((oc) => oc.doNothing())
  .execute()
for (const [id, operator] of [
  ['dev-bus-10', 'lutsk-bus'],
  ['dev-bus-2', 'lutsk-bus'],
  ['dev-bus-15', 'lutsk-bus'],
  ['dev-trolley-1', 'lutsk-trolley'],
  ['dev-trolley-4', 'lutsk-trolley'],
] as const) {
  await db.insertInto('devices').values({ id, operator_id: operator, public_key_pem: 'not used by the export' }).execute()
}

await fundCard(db, ALICE, '500.00')
const tap = (time: string, route: string, stop: string) =>
  tapEvent({ card: ALICE, time, route, stop, device: `dev-${route}`, operator: route.startsWith('trolley') ? 'lutsk-trolley' : 'lutsk-bus' })
const taps = [
  { ...tap('2026-11-09T08:00:00+02:00', 'bus-10', 'S1'), vehicleId: 'bus-0417' },
  tap('2026-11-09T08:40:00+02:00', 'trolley-1', 'S2'),
  tap('2026-11-10T07:10:00+02:00', 'bus-10', 'S1'),
  tap('2026-11-10T09:40:00+02:00', 'bus-2', 'S2'),
  tap('2026-11-10T13:05:00+02:00', 'bus-10', 'S4'),
  tap('2026-11-10T18:30:00+02:00', 'bus-15', 'S5'),
  tap('2026-11-11T08:00:00+02:00', 'bus-10', 'S1'),
]
await bench.produce(taps)
await bench.waitSettled()
const [busMonday, trolley, busTuesday, , , capped] = taps.map((e) => e.tapId) as string[]

/** The archive's entries as text, by name. */
async function unzip(archive: Buffer): Promise<Map<string, string>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(archive, { lazyEntries: true }, (err, z) => (err ? reject(err) : resolve(z))),
  )
  const entries = new Map<string, string>()
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, async (err, stream) => {
        if (err) return reject(err)
        const chunks: Buffer[] = []
        for await (const chunk of stream) chunks.push(chunk as Buffer)
        entries.set(entry.fileName, Buffer.concat(chunks).toString('utf8'))
        zip.readEntry()
      })
    })
    zip.on('end', resolve)
    zip.on('error', reject)
    zip.readEntry()
  })
  return entries
}

/** The CSV's records as objects by column name (the header row read off). */
function records(csv: string): Record<string, string>[] {
  const [header = [], ...rows] = parseCsv(csv)
  return rows.map((row) => Object.fromEntries(header.map((name, i) => [name, row[i] ?? ''])))
}

async function exportZip(query: string, token = adminToken) {
  const res = await get(`/v1/exports/tides?${query}`, token)
  t.equal(res.statusCode, 200, `${query}: 200 (${res.statusCode === 200 ? '' : res.body})`)
  return { res, files: await unzip(res.rawPayload) }
}

t.test('admin: the ZIP data package of every operator, valid against our TIDES schemas', async (t) => {
  const { res, files } = await exportZip('from=2026-11-09&to=2026-11-11')
  t.equal(res.headers['content-type'], 'application/zip')
  t.match(res.headers['content-disposition'], /attachment; filename="tides-all-2026-11-09-2026-11-11\.zip"/)
  t.equal(res.headers['content-length'], undefined, 'streamed, not buffered to learn its length')
  t.same([...files.keys()].sort(), [
    'datapackage.json',
    'devices.csv',
    'fare_transactions.csv',
    'schemas/devices.schema.json',
    'schemas/fare_transactions.schema.json',
  ])

  const descriptor = JSON.parse(files.get('datapackage.json') ?? '{}') as {
    profile: string
    title: string
    resources: { name: string; path: string; schema: string; profile: string }[]
  }
  t.equal(descriptor.profile, TIDES_PROFILE_URL)
  t.ok(descriptor.title.length > 0, 'titled, as the TIDES profile requires')
  t.same(
    descriptor.resources.map((r) => [r.name, r.path, r.schema, r.profile]),
    [
      ['fare_transactions', 'fare_transactions.csv', 'schemas/fare_transactions.schema.json', 'tabular-data-resource'],
      ['devices', 'devices.csv', 'schemas/devices.schema.json', 'tabular-data-resource'],
    ],
  )
  for (const resource of descriptor.resources)
    t.ok(files.has(resource.path) && files.has(resource.schema), `${resource.name}: its CSV and schema are in the archive`)
  t.same(JSON.parse(files.get('schemas/fare_transactions.schema.json') ?? ''), fareTransactionsSchema, 'the schema shipped is ours')
  t.same(JSON.parse(files.get('schemas/devices.schema.json') ?? ''), devicesSchema)

  const fares = files.get('fare_transactions.csv') ?? ''
  const devices = files.get('devices.csv') ?? ''
  t.same(validateCsv(fareTransactionsSchema, fares), [], 'fare_transactions.csv is valid')
  t.same(validateCsv(devicesSchema, devices), [], 'devices.csv is valid')

  const rows = records(fares)
  t.equal(rows.length, 6, 'the six taps of Monday and Tuesday; Wednesday is outside the range')
  const byId = new Map(rows.map((r) => [r.transaction_id, r]))
  t.match(byId.get(busMonday ?? ''), {
    service_date: '2026-11-09',
    event_timestamp: '2026-11-09T06:00:00Z',
    amount: '18.00',
    currency_type: 'UAH',
    fare_action: 'Enter',
    vehicle_id: 'bus-0417',
    device_id: 'dev-bus-10',
    stop_id: 'S1',
    rider_category: 'adult',
    fare_capped: 'false',
    token_id: '',
  })
  t.match(byId.get(trolley ?? ''), { amount: '5.00', fare_action: 'Transfer entrance', device_id: 'dev-trolley-1', fare_capped: 'false' })
  t.match(byId.get(busTuesday ?? ''), { service_date: '2026-11-10', amount: '18.00', fare_action: 'Enter', fare_capped: 'false' })
  t.match(byId.get(capped ?? ''), { amount: '0.00', fare_capped: 'true' }, 'the ride the day cap paid for says so')
  t.equal(rows.filter((r) => r.fare_action === 'Transfer entrance').length, 1, 'one transfer')
  const total = rows.reduce((sum, r) => sum.plus(new Decimal(r.amount ?? '0')), new Decimal(0))
  t.ok(total.equals(new Decimal('77.00')), `the riders paid 18 + 5 + 18 + 18 + 18 + 0 = 77.00 (got ${total.toFixed(2)})`)

  const deviceIds = records(devices).map((d) => d.device_id)
  t.same(deviceIds, ['dev-bus-10', 'dev-bus-15', 'dev-bus-2', 'dev-trolley-1', 'dev-trolley-4'])
  for (const r of rows) t.ok(deviceIds.includes(r.device_id), `${r.device_id} of a fare transaction is in devices.csv`)
})

t.test("an operator gets its own operator's rows only", async (t) => {
  const trolleys = await exportZip('from=2026-11-09&to=2026-11-11', operatorToken('lutsk-trolley'))
  t.match(trolleys.res.headers['content-disposition'], /tides-lutsk-trolley-2026-11-09-2026-11-11\.zip/)
  const trolleyRows = records(trolleys.files.get('fare_transactions.csv') ?? '')
  t.same(
    trolleyRows.map((r) => r.transaction_id),
    [trolley],
    'the trolleybus ride only',
  )
  t.same(
    records(trolleys.files.get('devices.csv') ?? '').map((d) => d.device_id),
    ['dev-trolley-1', 'dev-trolley-4'],
  )
  const buses = await exportZip('from=2026-11-09&to=2026-11-11', operatorToken('lutsk-bus'))
  const busRows = records(buses.files.get('fare_transactions.csv') ?? '')
  t.equal(busRows.length, 5)
  t.notOk(
    busRows.some((r) => r.transaction_id === trolley),
    "not the other operator's ride",
  )
  t.same(validateCsv(fareTransactionsSchema, buses.files.get('fare_transactions.csv') ?? ''), [])

  const other = await get('/v1/exports/tides?from=2026-11-09&to=2026-11-11&operator=lutsk-bus', operatorToken('lutsk-trolley'))
  t.equal(other.statusCode, 403)
  t.equal(other.json().error.code, 'REPORT_OPERATOR_FORBIDDEN', "asking for another operator's rows is refused")
  const filtered = await exportZip('from=2026-11-09&to=2026-11-11&operator=lutsk-trolley')
  t.same(
    records(filtered.files.get('fare_transactions.csv') ?? '').map((r) => r.transaction_id),
    [trolley],
    'an admin filters with ?operator=',
  )
})

t.test('?table= streams one CSV alone, the same as in the archive', async (t) => {
  const { files } = await exportZip('from=2026-11-09&to=2026-11-11')
  for (const table of ['fare_transactions', 'devices'] as const) {
    const res = await get(`/v1/exports/tides?from=2026-11-09&to=2026-11-11&table=${table}`)
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'text/csv; charset=utf-8; header=present')
    t.match(res.headers['content-disposition'], new RegExp(`tides-all-2026-11-09-2026-11-11-${table}\\.csv`))
    t.equal(res.body, files.get(`${table}.csv`), `${table}.csv`)
  }
})

t.test('an empty range is a valid package with header rows only', async (t) => {
  const { files } = await exportZip('from=2026-10-01&to=2026-11-01&operator=lutsk-trolley')
  t.same(records(files.get('fare_transactions.csv') ?? ''), [])
  t.same(validateCsv(fareTransactionsSchema, files.get('fare_transactions.csv') ?? ''), [])
  t.same(
    records(files.get('devices.csv') ?? '').map((d) => d.device_id),
    ['dev-trolley-1', 'dev-trolley-4'],
    "the operator's devices, with or without taps",
  )
})

t.test('a bad range is 400 REPORT_RANGE_INVALID; other roles are refused', async (t) => {
  for (const query of ['from=2026-11-11&to=2026-11-09', 'from=2026-11-09&to=2026-11-09', 'from=2026-02-30&to=2026-03-02', 'from=2025-01-01&to=2026-01-03']) {
    const res = await get(`/v1/exports/tides?${query}`)
    t.equal(res.statusCode, 400, query)
    t.equal(res.json().error.code, 'REPORT_RANGE_INVALID', query)
  }
  t.equal((await get('/v1/exports/tides?from=2026-11-09')).statusCode, 400, 'to is required')
  t.equal((await get('/v1/exports/tides?from=2026-11-09&to=2026-11-11&table=stops')).statusCode, 400, 'an unknown table')
  const rider = await get('/v1/exports/tides?from=2026-11-09&to=2026-11-11', issuer.riderToken('rider-alice'))
  t.equal(rider.statusCode, 403)
  t.equal(rider.json().error.code, 'SCOPE_DENIED')
})

t.test('a client that goes away mid-download frees its cursor and connection', async (t) => {
  // October, another operator: 60,000 rated taps, far more than a socket buffers, written straight into the tables.
  await db.insertInto('operators').values({ id: 'lutsk-bulk', name: 'Bulk' }).execute()
  await sql`
    insert into taps (tap_id, card_token, kind, tapped_at, tapped_at_text, route_id, stop_id, device_id, operator_id, received_at,
                      kafka_partition, kafka_offset)
    select gen_random_uuid(), 'ct_bulk_' || (i % 500), 'entry', timestamptz '2026-10-01 06:00+00' + (i * 30 || ' seconds')::interval, 'x', 'bus-10', 'S1',
           'dev-bus-10', 'lutsk-bulk', now(), 0, 1000000 + i
    from generate_series(1, 60000) i`.execute(db)
  await sql`
    insert into tap_charges (tap_id, card_token, operator_id, route_id, stop_id, device_id, tap_kind, tapped_at, service_day, local_hour, charge_kind,
                             tariff_version_id, full_fare, leg_fare, before_caps, amount, first_amount, concession, split, currency)
    select tap_id, card_token, operator_id, route_id, stop_id, device_id, kind, tapped_at, (tapped_at at time zone 'Europe/Kyiv')::date, 8, 'fare',
           1, 18, 18, 18, 18, 18, 0, 0, 'UAH'
    from taps where operator_id = 'lutsk-bulk'`.execute(db)
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const busyExports = async () =>
    (
      await sql<{ n: number }>`
        select count(*)::int as n from pg_stat_activity
        where pid <> pg_backend_pid() and query like '%to_char(c.tapped_at%' and state <> 'idle'`.execute(db)
    ).rows[0]?.n ?? 0
  for (const table of ['&table=fare_transactions', '']) {
    const url = `${address}/v1/exports/tides?from=2026-10-01&to=2026-11-01&operator=lutsk-bulk${table}`
    await new Promise<void>((resolve, reject) => {
      const request = http.get(url, { headers: { authorization: `Bearer ${adminToken}` } }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`))
        res.once('data', () => {
          request.destroy()
          resolve()
        })
      })
      request.on('error', (err) => (request.destroyed ? undefined : reject(err)))
    })
    await waitFor(`the export's query ends after the client left (${table || 'zip'})`, async () => (await busyExports()) === 0)
    t.pass(`${table || 'zip'}: no export query left running or holding its connection`)
  }
  const after = await get('/v1/exports/tides?from=2026-10-01&to=2026-10-02&operator=lutsk-bulk&table=fare_transactions')
  t.equal(after.statusCode, 200, 'the api still exports afterwards')
  const day = await db
    .selectFrom('tap_charges')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('operator_id', '=', 'lutsk-bulk')
    .where('service_day', '=', '2026-10-01')
    .executeTakeFirstOrThrow()
  t.equal(records(after.body).length, Number(day.n), "a day of the bulk operator's taps")
})
