/**
 * Test databases. A template database is migrated once per schema; each test
 * file clones it, so files run in parallel on the
 * real Postgres without sharing rows.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { createDb, type Db, withDatabase } from './connect.ts'
import { migrateToLatest } from './migrate.ts'

export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fare_test'

/**
 * The template's name carries a hash of the migrations, so concurrent test runs
 * (several checkouts, CI beside a developer) share a template when their schema
 * is the same and never rebuild one another's.
 */
const TEMPLATE = ((): string => {
  const folder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations')
  const hash = createHash('sha256')
  for (const file of readdirSync(folder).sort()) hash.update(file).update(readFileSync(path.join(folder, file)))
  return `fare_test_tpl_${hash.digest('hex').slice(0, 12)}`
})()

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(TEST_SERVER_URL, 'postgres') })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** Builds the migrated template unless it exists (once per schema, whatever runs first). */
export async function prepareTemplateDatabase(): Promise<void> {
  await admin(async (c) => {
    await c.query(`select pg_advisory_lock(hashtext('fare-test-template'))`)
    const exists = await c.query(`select 1 from pg_database where datname = $1`, [TEMPLATE])
    if (exists.rowCount) return
    // Built under another name and renamed when complete: a half-built template is never cloned.
    const building = `${TEMPLATE}_building`
    await c.query(`drop database if exists ${building} with (force)`)
    await c.query(`create database ${building}`)
    const db = createDb(withDatabase(TEST_SERVER_URL, building), { maxConnections: 1 })
    try {
      await migrateToLatest(db)
    } finally {
      await db.destroy()
    }
    await c.query(`alter database ${building} rename to ${TEMPLATE}`)
  })
}

export interface TestDatabase {
  readonly url: string
  readonly db: Db
  drop(): Promise<void>
}

let templateReady: Promise<void> | undefined

/** A fresh, migrated database of this test file's own. */
export async function createTestDatabase(): Promise<TestDatabase> {
  templateReady ??= prepareTemplateDatabase()
  await templateReady
  const name = `fare_test_f_${randomBytes(6).toString('hex')}`
  await admin((c) => c.query(`create database ${name} template ${TEMPLATE}`))
  const url = withDatabase(TEST_SERVER_URL, name)
  const db = createDb(url, { maxConnections: 5 })
  return {
    url,
    db,
    async drop() {
      await db.destroy()
      await admin((c) => c.query(`drop database if exists ${name} with (force)`))
    },
  }
}
