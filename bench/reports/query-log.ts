/**
 * The api's database handle for the bench, with every query's SQL and time
 * kept, so a slow report can be explained: its slowest statement is run
 * again under EXPLAIN (ANALYZE, BUFFERS). Same pool settings and date
 * parsing as @fare/db's createDb, and its server-side cursors for streamed
 * queries when @fare/db has pg-cursor (the TIDES export streams with them).
 */
import { createRequire } from 'node:module'
import { type Database, type Db, SESSION_OPTIONS } from '@fare/db'
import { Kysely, PostgresDialect, type PostgresDialectConfig, sql } from 'kysely'
import pg from 'pg'

const DATE_OID = 1082

/** @fare/db's pg-cursor, if it depends on one. */
function dbCursor(): PostgresDialectConfig['cursor'] | undefined {
  try {
    return createRequire(new URL('../../packages/db/package.json', import.meta.url))('pg-cursor')
  } catch {
    return undefined
  }
}

export interface LoggedQuery {
  readonly sql: string
  readonly parameters: readonly unknown[]
  readonly ms: number
}

export interface QueryLog {
  readonly db: Db
  /** The queries since the last call, and a fresh start. */
  take(): LoggedQuery[]
}

export function loggingDb(url: string): QueryLog {
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === DATE_OID ? (value: string) => value : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
  }
  const pool = new pg.Pool({ connectionString: url, max: 10, application_name: 'bench-reports-api', options: SESSION_OPTIONS, types })
  pool.on('error', () => undefined)
  let queries: LoggedQuery[] = []
  const cursor = dbCursor()
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool, ...(cursor ? { cursor } : {}) }),
    log: (event) => {
      if (event.level === 'query') queries.push({ sql: event.query.sql, parameters: event.query.parameters, ms: event.queryDurationMillis })
    },
  })
  return {
    db,
    take() {
      const out = queries
      queries = []
      return out
    },
  }
}

/** EXPLAIN (ANALYZE, BUFFERS) of a logged query, its parameters inlined by Postgres (a prepared statement). */
export async function explain(db: Db, query: LoggedQuery): Promise<string> {
  return db.connection().execute(async (conn) => {
    const name = `bench_explain_${Math.random().toString(16).slice(2, 10)}`
    await sql.raw(`prepare ${name} as ${query.sql}`).execute(conn)
    try {
      const args = query.parameters.map((p) => (p === null ? 'null' : `'${String(p instanceof Date ? p.toISOString() : p).replaceAll("'", "''")}'`))
      const plan = await sql
        .raw<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) execute ${name}${args.length ? `(${args.join(', ')})` : ''}`)
        .execute(conn)
      return plan.rows.map((r) => r['QUERY PLAN']).join('\n')
    } finally {
      await sql.raw(`deallocate ${name}`).execute(conn)
    }
  })
}
