import { type MigrationResultSet, Migrator } from 'kysely'
import type { Db } from './connect.ts'
import { MIGRATIONS } from './migrations/index.ts'

/** Applies every pending migration; throws (with the failing migration named) on error. */
export async function migrateToLatest(db: Db): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } })
  const result = await migrator.migrateToLatest()
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown'
    throw new Error(`migration ${failed} failed`, { cause: result.error })
  }
  return result
}
