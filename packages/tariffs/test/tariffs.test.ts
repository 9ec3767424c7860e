/**
 * Tariff versions on the real Postgres: publishing is idempotent, a published
 * version is never edited, a feed the fare engine refuses is never stored,
 * and the version in force at an instant is the last one that began at or
 * before it (none before the first).
 */

import type { Db } from '@fare/db'
import { createTestDatabase } from '@fare/db/testing'
import t from 'tap'
import { createTariffBook, feedDigest, publishedVersions, readFeedFolder, saveTariffVersion, TariffVersionError, tariffVersionFeed } from '../src/index.ts'

const DEMO = readFeedFolder(new URL('../../../infra/demo-tariff/', import.meta.url).pathname)
/** The demo feed with the adult bus fare changed: another valid version. */
const DEARER = {
  ...DEMO,
  'fare_products.txt': (DEMO['fare_products.txt'] ?? '').replace('bus-single,Bus single fare,adult,18.00,UAH', 'bus-single,Bus single fare,adult,20.00,UAH'),
}

const database = await createTestDatabase()
t.teardown(database.drop)
const { db } = database

async function rowCount(db: Db): Promise<number> {
  const row = await db
    .selectFrom('tariff_versions')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

t.afterEach(async () => void (await db.deleteFrom('tariff_versions').execute()))

t.test('the test variant differs from the demo', async (t) => {
  t.not(feedDigest(DEARER), feedDigest(DEMO))
})

t.test('publishing the same version again is a no-op answering the same id', async (t) => {
  const first = await saveTariffVersion(db, { name: 'demo', effectiveFrom: '2026-01-01T00:00:00+02:00', files: DEMO })
  const again = await saveTariffVersion(db, { name: 'demo', effectiveFrom: '2025-12-31T22:00:00Z', files: { ...DEMO } })
  t.equal(again, first, 'the same instant written with another offset is the same version')
  t.equal(await rowCount(db), 1)
  t.same(await tariffVersionFeed(db, first), { id: first, sha256: feedDigest(DEMO), files: DEMO }, 'the files are stored as given, with their digest')
})

t.test('a published version is never edited', async (t) => {
  const id = await saveTariffVersion(db, { name: 'demo', effectiveFrom: '2026-01-01T00:00:00Z', files: DEMO })
  await t.rejects(saveTariffVersion(db, { name: 'dearer', effectiveFrom: '2026-01-01T00:00:00Z', files: DEARER }), {
    name: 'TariffVersionError',
    code: 'TARIFF_VERSION_CONFLICT',
    message: /already in force from 2026-01-01T00:00:00Z/,
  })
  t.same(await tariffVersionFeed(db, id), { id, sha256: feedDigest(DEMO), files: DEMO }, 'the stored version is unchanged')
  t.equal(await rowCount(db), 1)
})

t.test('a feed the fare engine refuses is not stored', async (t) => {
  const broken = { ...DEMO, 'fare_products.txt': (DEMO['fare_products.txt'] ?? '').replace('18.00', 'eighteen') }
  const error = await saveTariffVersion(db, { name: 'broken', effectiveFrom: '2026-01-01T00:00:00Z', files: broken }).catch((err: unknown) => err)
  t.ok(error instanceof TariffVersionError)
  t.match(
    error,
    { code: 'TARIFF_FEED_INVALID', message: /^tariff "broken" is not a valid feed: fare_products\.txt line \d+/ },
    'the message names the file and line at fault',
  )
  await t.rejects(saveTariffVersion(db, { name: 'empty', effectiveFrom: '2026-01-01T00:00:00Z', files: {} }), { code: 'TARIFF_FEED_INVALID' })
  await t.rejects(
    saveTariffVersion(db, { name: 'one file', effectiveFrom: '2026-01-01T00:00:00Z', files: { 'agency.txt': 'agency_id,agency_name\nA,Lutsk\n' } }),
    { code: 'TARIFF_FEED_INVALID' },
  )
  for (const effectiveFrom of ['2026-01-01T00:00:00', '2026-01-01', 'soon', '2026-02-30T00:00:00Z']) {
    await t.rejects(
      saveTariffVersion(db, { name: 'demo', effectiveFrom, files: DEMO }),
      { code: 'TARIFF_EFFECTIVE_FROM_INVALID' },
      `effectiveFrom ${effectiveFrom}`,
    )
  }
  t.equal(await rowCount(db), 0, 'nothing was written')
})

t.test('the version in force at an instant', async (t) => {
  const later = await saveTariffVersion(db, { name: 'dearer', effectiveFrom: '2026-06-01T00:00:00Z', files: DEARER })
  const earlier = await saveTariffVersion(db, { name: 'demo', effectiveFrom: '2026-01-01T00:00:00Z', files: DEMO })
  const book = createTariffBook()
  t.equal(book.at(Date.parse('2030-01-01T00:00:00Z')), undefined, 'nothing before the first refresh')
  await db.transaction().execute((trx) => book.refresh(trx))
  t.same(
    book.versions.map((v) => v.id),
    [earlier, later],
    'in the order they come into force, whatever the order published',
  )
  const at = (iso: string) => book.at(Date.parse(iso))?.id
  t.equal(at('2025-12-31T23:59:59.999Z'), undefined, 'before the first version: none')
  t.equal(at('2026-01-01T00:00:00.000Z'), earlier, 'from its first millisecond')
  t.equal(at('2026-05-31T23:59:59.999Z'), earlier)
  t.equal(at('2026-06-01T00:00:00.000Z'), later)
  t.equal(at('2099-01-01T00:00:00.000Z'), later, 'the last version stays in force')

  const parsed = book.versions[0]?.tariff
  const next = await saveTariffVersion(db, { name: 'demo again', effectiveFrom: '2026-09-01T00:00:00Z', files: DEMO })
  await book.refresh(db)
  t.equal(book.versions.length, 3, 'a refresh sees a version published since')
  t.equal(book.versions[0]?.tariff, parsed, 'a version already parsed is not parsed again')
  t.equal(at('2026-09-01T00:00:00.000Z'), next)

  const published = await publishedVersions(db, new Date('2026-07-01T00:00:00Z'))
  t.match(published, { current: { id: later, name: 'dearer', sha256: feedDigest(DEARER) }, next: { id: next, name: 'demo again' } })
  t.same(published.current?.effectiveFrom, new Date('2026-06-01T00:00:00Z'))
  t.same(
    await publishedVersions(db, new Date('2025-01-01T00:00:00Z')),
    { current: undefined, next: { id: earlier, name: 'demo', effectiveFrom: new Date('2026-01-01T00:00:00Z'), sha256: feedDigest(DEMO) } },
    'before the first: none in force, the first next',
  )
  t.equal(await tariffVersionFeed(db, '424242'), undefined, 'an unknown version')
})
