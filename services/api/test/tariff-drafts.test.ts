/**
 * Tariff drafts through the api on the real Postgres: a feed uploaded as a zip
 * or as multipart files becomes a draft; a feed the fare engine refuses is
 * FEED_INVALID with its file and line; oversized files, zip bombs, paths out
 * of the feed and non-.txt entries are refused with nothing written; only
 * admins get in; a draft is activated only from a future instant, through
 * @fare/tariffs, and the ledger's TariffBook sees it only from then.
 */
import path from 'node:path'
import { AUDIENCE } from '@fare/auth'
import { createTestDatabase } from '@fare/db/testing'
import { createLogger, createMetricsRegistry } from '@fare/platform'
import { createTariffBook, feedDigest, readFeedFolder, saveTariffVersion } from '@fare/tariffs'
import { sql } from 'kysely'
import t from 'tap'
import { declareUncompressedSize, multipartBody, renameEntries, zipFeed } from '../../../test/support/feed-zip.ts'
import { createTestIssuer } from '../../../test/support/keys.ts'
import { buildApp } from '../src/app.ts'

const DEMO = readFeedFolder(path.join(import.meta.dirname, '../../../infra/demo-tariff'))
const NOW = new Date('2026-12-02T10:00:00Z')

const database = await createTestDatabase()
t.teardown(database.drop)
const { db } = database
const issuer = createTestIssuer()
const app = await buildApp(
  {
    logger: createLogger({ level: 'silent', name: 'api-test' }),
    db,
    registry: createMetricsRegistry('api'),
    jwtPublicKeyPem: issuer.publicKeyPem,
    now: () => NOW,
  },
  { feedLimits: { uploadBytes: 256 * 1024, fileBytes: 64 * 1024, feedBytes: 256 * 1024, files: 16 } },
)
t.teardown(() => app.close())
const admin = { authorization: `Bearer ${issuer.adminToken()}` }

const uploadZip = (archive: Buffer, headers: Record<string, string> = admin, name = 'Lutsk 2027') =>
  app.inject({
    method: 'POST',
    url: `/v1/tariffs/drafts?name=${encodeURIComponent(name)}`,
    headers: { ...headers, 'content-type': 'application/zip' },
    payload: archive,
  })
const uploadParts = (files: Record<string, string>, fields: Record<string, string> = {}) => {
  const { body, contentType } = multipartBody(files, fields)
  return app.inject({ method: 'POST', url: '/v1/tariffs/drafts?name=parts', headers: { ...admin, 'content-type': contentType }, payload: body })
}
const draftCount = async () =>
  Number(
    (
      await db
        .selectFrom('tariff_drafts')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )

t.test('a zip archive becomes a draft, stored as uploaded, unseen by the ledger', async (t) => {
  const res = await uploadZip(await zipFeed(DEMO))
  t.equal(res.statusCode, 201, res.body)
  const draft = res.json()
  t.match(draft, { name: 'Lutsk 2027', sha256: feedDigest(DEMO), uploadedBy: 'admin-1', activation: null })
  t.same(draft.files, Object.keys(DEMO).sort())
  const stored = await db.selectFrom('tariff_drafts').select('files').where('id', '=', draft.id).executeTakeFirstOrThrow()
  t.same(stored.files, DEMO, 'the files are kept as uploaded')
  t.equal((await db.selectFrom('tariff_versions').selectAll().execute()).length, 0, 'no tariff version was written')
  const got = await app.inject({ method: 'GET', url: `/v1/tariffs/drafts/${draft.id}`, headers: admin })
  t.same(got.json(), draft)
  const list = await app.inject({ method: 'GET', url: '/v1/tariffs/drafts?limit=1', headers: admin })
  t.equal(list.json().drafts[0].id, draft.id, 'newest first')
  t.equal((await app.inject({ method: 'GET', url: '/v1/tariffs/drafts/999999', headers: admin })).json().error.code, 'TARIFF_DRAFT_NOT_FOUND')
})

t.test('multipart files become a draft too', async (t) => {
  const res = await uploadParts(DEMO)
  t.equal(res.statusCode, 201, res.body)
  t.equal(res.json().sha256, feedDigest(DEMO))
})

t.test('a feed the fare engine refuses is FEED_INVALID with its file and line; nothing is written', async (t) => {
  const before = await draftCount()
  const broken = {
    ...DEMO,
    'fare_products.txt': (DEMO['fare_products.txt'] ?? '').replace('bus-single,Bus single fare,pupil,9.00,UAH', 'bus-single,Bus single fare,pupil,nine,UAH'),
  }
  for (const res of [await uploadZip(await zipFeed(broken)), await uploadParts(broken)]) {
    t.equal(res.statusCode, 422)
    t.match(res.json().error, {
      code: 'FEED_INVALID',
      message: /^fare_products\.txt line 3, field amount/,
      details: { file: 'fare_products.txt', line: 3, field: 'amount' },
    })
  }
  t.equal((await uploadZip(await zipFeed({}))).json().error.code, 'FEED_INVALID', 'an empty archive')
  t.equal(await draftCount(), before)
})

t.test('unsafe or oversized uploads are refused before anything is written', async (t) => {
  const before = await draftCount()
  const refused = async (name: string, res: Awaited<ReturnType<typeof uploadZip>>, status: number, code: string) => {
    t.equal(res.statusCode, status, `${name}: ${res.body}`)
    t.equal(res.json().error.code, code, name)
  }
  const bomb = await zipFeed({ ...DEMO, 'stops.txt': Buffer.alloc(10 * 1024 * 1024, 0x20) })
  t.ok(bomb.length < 64 * 1024, 'the bomb is small compressed')
  await refused('a zip bomb (declared size over the limit)', await uploadZip(bomb), 413, 'FEED_TOO_LARGE')
  await refused('a zip bomb that lies about its size', await uploadZip(declareUncompressedSize(bomb, 100)), 400, 'FEED_ARCHIVE_INVALID')
  await refused('an archive over the upload limit', await uploadZip(Buffer.alloc(300 * 1024)), 413, 'BODY_TOO_LARGE')
  await refused(
    'path traversal',
    await uploadZip(renameEntries(await zipFeed({ ...DEMO, 'xx/agency.txt': 'x' }), 'xx/agency.txt', '../agency.txt')),
    400,
    'FEED_FILE_NAME_INVALID',
  )
  await refused(
    'an absolute path',
    await uploadZip(renameEntries(await zipFeed({ ...DEMO, 'xagency.txt': 'x' }), 'xagency.txt', '/agency.txt')),
    400,
    'FEED_FILE_NAME_INVALID',
  )
  await refused('a file in a folder', await uploadZip(await zipFeed({ 'feed/agency.txt': DEMO['agency.txt'] ?? '' })), 400, 'FEED_FILE_NAME_INVALID')
  await refused('a non-.txt entry', await uploadZip(await zipFeed({ ...DEMO, 'nested.zip': Buffer.from('PK') })), 400, 'FEED_FILE_NAME_INVALID')
  await refused(
    'too many files',
    await uploadZip(await zipFeed(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}.txt`, 'a'])))),
    413,
    'FEED_TOO_LARGE',
  )
  await refused('not a zip', await uploadZip(Buffer.from('agency_id,agency_name\n')), 400, 'FEED_ARCHIVE_INVALID')
  await refused('a multipart file over the limit', await uploadParts({ ...DEMO, 'stops.txt': 'x'.repeat(100 * 1024) }), 413, 'FEED_TOO_LARGE')
  await refused('a multipart traversal', await uploadParts({ '../agency.txt': 'x' }), 400, 'FEED_FILE_NAME_INVALID')
  await refused('a multipart field', await uploadParts(DEMO, { note: 'hi' }), 400, 'FEED_UPLOAD_INVALID')
  const asJson = await app.inject({ method: 'POST', url: '/v1/tariffs/drafts?name=json', headers: admin, payload: { 'agency.txt': 'x' } })
  t.equal(asJson.json().error.code, 'FEED_UPLOAD_INVALID', 'a JSON body')
  const asText = await app.inject({
    method: 'POST',
    url: '/v1/tariffs/drafts?name=text',
    headers: { ...admin, 'content-type': 'text/plain' },
    payload: 'agency_id',
  })
  t.equal(asText.statusCode, 415, 'another content type')
  t.equal(await draftCount(), before, 'nothing was written')
})

t.test('only admins', async (t) => {
  const archive = await zipFeed(DEMO)
  for (const [who, token] of [
    ['a rider', issuer.riderToken('rider-1')],
    ['an operator', issuer.sign({ sub: 'u1', role: 'operator', operator_id: 'lutsk-bus' }, AUDIENCE.api)],
    ['a device', issuer.sign({ sub: 'd1', role: 'device', operator_id: 'lutsk-bus', scope: 'tariff:read' }, AUDIENCE.api)],
  ] as const) {
    const headers = { authorization: `Bearer ${token}` }
    t.equal((await uploadZip(archive, headers)).statusCode, 403, `${who} uploads`)
    t.equal((await app.inject({ method: 'GET', url: '/v1/tariffs/drafts', headers })).statusCode, 403, `${who} lists`)
    t.equal(
      (await app.inject({ method: 'POST', url: '/v1/tariffs/drafts/1/activation', headers, payload: { effectiveFrom: '2027-01-01T00:00:00Z' } })).statusCode,
      403,
      `${who} activates`,
    )
    t.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/v1/tariffs/drafts/1/simulations',
          headers,
          payload: { from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' },
        })
      ).statusCode,
      403,
      `${who} simulates`,
    )
  }
  t.equal((await uploadZip(archive, {})).statusCode, 401, 'no token')
})

t.test('activation: only from a future instant; the ledger sees the version from then', async (t) => {
  await saveTariffVersion(db, { name: 'demo', effectiveFrom: '2020-01-01T00:00:00Z', files: DEMO })
  const dearer = {
    ...DEMO,
    'fare_products.txt': (DEMO['fare_products.txt'] ?? '').replace('bus-single,Bus single fare,adult,18.00,UAH', 'bus-single,Bus single fare,adult,20.00,UAH'),
  }
  const draft = (await uploadZip(await zipFeed(dearer))).json()
  const activate = (effectiveFrom: string, id = draft.id) =>
    app.inject({ method: 'POST', url: `/v1/tariffs/drafts/${id}/activation`, headers: admin, payload: { effectiveFrom } })

  for (const past of [NOW.toISOString(), '2026-12-01T00:00:00+02:00']) {
    const res = await activate(past)
    t.equal(res.statusCode, 400)
    t.equal(res.json().error.code, 'EFFECTIVE_FROM_NOT_FUTURE', past)
  }
  t.equal((await activate('2027-01-01')).json().error.code, 'REQUEST_INVALID', 'no time and offset')
  t.equal((await activate('2027-02-30T00:00:00Z')).json().error.code, 'TARIFF_EFFECTIVE_FROM_INVALID', 'a day the month does not have')
  t.equal((await activate('2027-01-01T00:00:00Z', '999999')).json().error.code, 'TARIFF_DRAFT_NOT_FOUND')
  t.equal(
    await db
      .selectFrom('tariff_versions')
      .select('id')
      .execute()
      .then((r) => r.length),
    1,
    'nothing published',
  )

  const res = await activate('2027-01-01T00:00:00+02:00')
  t.equal(res.statusCode, 200, res.body)
  const activated = res.json()
  t.match(activated.activation, { effectiveFrom: '2026-12-31T22:00:00.000Z', by: 'admin-1', at: NOW.toISOString() })
  t.same((await activate('2026-12-31T22:00:00Z')).json(), activated, 'the same activation again is a no-op')
  const again = await activate('2027-02-01T00:00:00Z')
  t.equal(again.statusCode, 409)
  t.equal(again.json().error.code, 'TARIFF_DRAFT_ALREADY_ACTIVATED')

  const other = (await uploadParts(DEMO)).json()
  const conflict = await activate('2027-01-01T00:00:00+02:00', other.id)
  t.equal(conflict.statusCode, 409, 'another feed at an instant already published')
  t.equal(conflict.json().error.code, 'TARIFF_VERSION_CONFLICT')

  const book = createTariffBook()
  await book.refresh(db)
  t.equal(book.at(Date.parse('2026-12-31T21:59:59.999Z'))?.id, book.versions[0]?.id, 'before effectiveFrom: the old version')
  t.equal(book.at(Date.parse('2026-12-31T22:00:00.000Z'))?.id, activated.activation.versionId, 'from effectiveFrom: the draft')
  const version = await db.selectFrom('tariff_versions').select(['sha256', 'name']).where('id', '=', activated.activation.versionId).executeTakeFirstOrThrow()
  t.same(version, { sha256: feedDigest(dearer), name: 'Lutsk 2027' })
})

t.test('one simulation at a time per api process', async (t) => {
  const draft = (await uploadZip(await zipFeed(DEMO))).json()
  const simulate = () =>
    app.inject({
      method: 'POST',
      url: `/v1/tariffs/drafts/${draft.id}/simulations`,
      headers: admin,
      payload: { from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' },
    })
  // Hold the first simulation on a lock of the taps table, so the second certainly arrives while it runs.
  let release = () => {}
  const held = new Promise<void>((resolve) => (release = resolve))
  let locked = () => {}
  const isLocked = new Promise<void>((resolve) => (locked = resolve))
  const holder = db.transaction().execute(async (trx) => {
    await sql`lock table taps in access exclusive mode`.execute(trx)
    locked()
    await held
  })
  await isLocked
  const first = simulate()
  for (let waited = 0; ; waited += 50) {
    const waiting = await sql<{
      n: string
    }>`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(db)
    if (waiting.rows[0]?.n !== '0') break
    if (waited > 30_000) throw new Error('the first simulation never waited on the lock')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const second = await simulate()
  t.equal(second.statusCode, 429)
  t.equal(second.json().error.code, 'SIMULATION_BUSY')
  release()
  await holder
  t.equal((await first).statusCode, 200, 'the first one answers')
  t.equal((await simulate()).statusCode, 200, 'and the next may run')
})
