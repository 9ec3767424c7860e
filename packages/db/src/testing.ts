/**
 * Test databases. A template database is migrated once per test run
 * (test/setup.ts); each test file clones it, so files run in parallel on the
 * real Postgres without sharing rows.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { createDb, ensureDatabase, withDatabase, type Db } from './connect.ts'
import { migrateToLatest } from './migrate.ts'

export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fare_test'
const TEMPLATE = 'fare_test_template'

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(TEST_SERVER_URL, 'postgres') })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** Drops and recreates the migrated template. Run once before the test files. */
export async function prepareTemplateDatabase(): Promise<void> {
  await admin(async (c) => {
    await c.query(`drop database if exists ${TEMPLATE} with (force)`)
    // Leftovers of earlier runs that were killed.
    const stale = await c.query<{ datname: string }>(`select datname from pg_database where datname like 'fare_test_f_%'`)
    for (const row of stale.rows) await c.query(`drop database if exists "${row.datname}" with (force)`)
  })
  const templateUrl = withDatabase(TEST_SERVER_URL, TEMPLATE)
  await ensureDatabase(templateUrl)
  const db = createDb(templateUrl, { maxConnections: 1 })
  try {
    await migrateToLatest(db)
  } finally {
    await db.destroy()
  }
}

export interface TestDatabase {
  readonly url: string
  readonly db: Db
  drop(): Promise<void>
}

/** A fresh, migrated database of this test file's own. */
export async function createTestDatabase(): Promise<TestDatabase> {
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
