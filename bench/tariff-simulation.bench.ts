/**
 * `pnpm bench:tariff-simulation`: how long the api takes to simulate a tariff
 * draft on one Lutsk-size day of taps (docs/tariffs.md). Taps are written
 * straight into `taps` of a test database (the ledger is not under test
 * here): BENCH_TAPS (default 150,000) over BENCH_CARDS (60,000) cards, buses
 * and trolleybuses of the demo tariff, through one day; then the draft (the
 * demo tariff with dearer adult bus fares) is uploaded and simulated over that
 * day through the api, twice (the second run has the tariffs parsed and warm).
 * Prints the api's elapsed time and taps rated per second.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildApp } from '@fare/api'
import { createTestDatabase } from '@fare/db/testing'
import { createLogger, createMetricsRegistry } from '@fare/platform'
import { readFeedFolder, saveTariffVersion } from '@fare/tariffs'
import { sql } from 'kysely'
import { zipFeed } from '../test/support/feed-zip.ts'
import { createTestIssuer } from '../test/support/keys.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const TAPS = Number(process.env.BENCH_TAPS ?? 150_000)
const CARDS = Number(process.env.BENCH_CARDS ?? 60_000)
const DAY = '2026-11-03'
const NEXT_DAY = '2026-11-04T00:00:00+02:00'

const demo = readFeedFolder(path.join(ROOT, 'infra/demo-tariff'))
const draftFiles = {
  ...demo,
  'fare_products.txt': (demo['fare_products.txt'] ?? '').replace('bus-single,Bus single fare,adult,18.00,UAH', 'bus-single,Bus single fare,adult,20.00,UAH'),
}

const database = await createTestDatabase()
try {
  const { db } = database
  await saveTariffVersion(db, { name: 'demo', effectiveFrom: '2020-01-01T00:00:00Z', files: demo })
  // One day in Kyiv time (+02:00 in November), taps spread from 05:00 to 23:00, every card's taps in time order.
  await sql`
    insert into taps (tap_id, card_token, kind, tapped_at, tapped_at_text, route_id, stop_id, device_id, operator_id, received_at,
                      kafka_partition, kafka_offset)
    select gen_random_uuid(), 'ct_bench_' || lpad((i % ${CARDS})::text, 8, '0'), 'entry', t,
           to_char(t at time zone '+02:00', 'YYYY-MM-DD"T"HH24:MI:SS') || '+02:00',
           case when i % 3 = 0 then 'trolley-1' else 'bus-10' end, 'S1', 'dev-' || (i % 200),
           case when i % 3 = 0 then 'lutsk-trolley' else 'lutsk-bus' end, t, 0, i
    from generate_series(0, ${TAPS - 1}) as i,
         lateral (select ${`${DAY}T05:00:00+02:00`}::timestamptz + (i::float8 / ${TAPS}) * interval '18 hours' as t) as time`.execute(db)
  const issuer = createTestIssuer()
  const app = await buildApp({
    logger: createLogger({ level: 'silent', name: 'bench' }),
    db,
    registry: createMetricsRegistry('api'),
    jwtPublicKeyPem: issuer.publicKeyPem,
  })
  const admin = { authorization: `Bearer ${issuer.adminToken()}` }
  const draft = await app.inject({
    method: 'POST',
    url: '/v1/tariffs/drafts?name=bench',
    headers: { ...admin, 'content-type': 'application/zip' },
    payload: await zipFeed(draftFiles),
  })
  if (draft.statusCode !== 201) throw new Error(`upload failed: ${draft.body}`)
  for (const run of ['first', 'second']) {
    const started = performance.now()
    const res = await app.inject({
      method: 'POST',
      url: `/v1/tariffs/drafts/${draft.json().id}/simulations`,
      headers: admin,
      payload: { from: `${DAY}T00:00:00+02:00`, to: NEXT_DAY },
    })
    const wallMs = performance.now() - started
    if (res.statusCode !== 200) throw new Error(`simulation failed: ${res.body}`)
    const report = res.json()
    console.log(
      `${run} run: ${TAPS} taps, ${report.cards} cards, ${Math.round(wallMs)} ms wall (${report.elapsedMs} ms rating), ` +
        `${Math.round((2 * TAPS) / (wallMs / 1000))} tap ratings/s; in force ${report.inForce.total.amount}, draft ${report.draft.total.amount} UAH`,
    )
  }
  await app.close()
} finally {
  await database.drop()
}
