import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import Cursor from 'pg-cursor'
import type { Database } from './schema.ts'

export type Db = Kysely<Database>

export interface DbOptions {
  maxConnections?: number
  applicationName?: string
  /** Told when an idle pooled connection fails (Postgres restarted, the connection was terminated). */
  onIdleConnectionError?: (err: Error) => void
}

const DATE_OID = 1082

/**
 * Dates stay 'YYYY-MM-DD' text: pg's default makes a JS Date at local midnight
 * of the process's time zone, which shifts a service day wherever TZ is not UTC.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === DATE_OID ? (value: string) => value : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
}

/**
 * Settings of every session. JIT off: Postgres compiles a plan to machine code once its estimated cost passes
 * `jit_above_cost`, which a month's report does; on the Lutsk-sized month (pnpm bench:reports) the compiling took
 * 1.4 to 1.6 s of an operator statement's 2.8 to 3.2 s, and no statement here runs long enough to win that back.
 */
export const SESSION_OPTIONS = '-c jit=off'

/**
 * A Kysely instance over a pg pool. Numeric and bigint stay strings (pg's default) for exact mapping.
 * With pg-cursor, `query.stream(n)` reads a result n rows at a time from a server-side cursor, so a
 * report of millions of rows runs in flat memory.
 */
export function createDb(databaseUrl: string, options: DbOptions = {}): Db {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? 'fare',
    options: SESSION_OPTIONS,
    types,
  })
  // pg emits 'error' for an idle connection that dies (a Postgres restart, a
  // terminated backend); unheard, that event kills the process. The pool has
  // already dropped the connection and opens a new one on the next query.
  pool.on('error', (err) => options.onIdleConnectionError?.(err))
  // A connection that dies while checked out (between the statements of a
  // transaction) emits 'error' on its client, where pg has no listener: that
  // too would kill the process. The statement in flight or the next one fails
  // with the error instead, and the pool drops the broken client on release.
  pool.on('connect', (client) => client.on('error', () => undefined))
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool, cursor: Cursor }) })
}

/** Replaces the database name in a postgres URL. */
export function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl)
  url.pathname = `/${database}`
  return url.toString()
}

/** Creates the database if it does not exist (connecting to the `postgres` maintenance db). */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1)
  const client = new pg.Client({ connectionString: withDatabase(databaseUrl, 'postgres') })
  await client.connect()
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name])
    if (found.rowCount === 0) {
      await client.query(`create database "${name.replaceAll('"', '""')}"`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err // created concurrently by someone else: fine
      })
    }
  } finally {
    await client.end()
  }
}
