/** `pnpm db:migrate`: creates the database if needed and applies every migration. Exits non-zero on failure. */
import { createDb, ensureDatabase } from './connect.ts'
import { migrateToLatest } from './migrate.ts'

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fare'
try {
  await ensureDatabase(databaseUrl)
  const db = createDb(databaseUrl, { maxConnections: 1 })
  try {
    const result = await migrateToLatest(db)
    const applied = result.results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? []
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date')
  } finally {
    await db.destroy()
  }
} catch (err) {
  console.error('migration failed:', err instanceof Error ? `${err.message}${err.cause ? `: ${String(err.cause)}` : ''}` : err)
  process.exit(1)
}
