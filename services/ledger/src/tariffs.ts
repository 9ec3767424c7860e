/**
 * Tariff versions live in Postgres (`tariff_versions`: the GTFS feed's files
 * and the instant from which they are in force). The ledger parses each
 * version once and keeps it; each tap is rated with the version in force at
 * the tap's own time, never the one in force when it arrived.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { sql } from 'kysely'
import { loadFeedFromFiles, type Tariff } from '@fare/fares'
import type { Db } from '@fare/db'
import type { Executor } from '@fare/bookkeeping'

export interface TariffVersionInForce {
  readonly id: string
  readonly effectiveFromMs: number
  readonly tariff: Tariff
}

export interface TariffBook {
  /** Re-reads the list of versions (cheap) and parses any new one. */
  refresh(db: Executor): Promise<void>
  /** The version in force at an instant, or undefined before the first. */
  at(epochMs: number): TariffVersionInForce | undefined
  readonly versions: readonly TariffVersionInForce[]
}

export function createTariffBook(): TariffBook {
  const parsed = new Map<string, Tariff>()
  let versions: TariffVersionInForce[] = []
  return {
    get versions() {
      return versions
    },
    async refresh(db) {
      const rows = await sql<{ id: string; ms: string }>`
        select id::text as id, (extract(epoch from effective_from) * 1000)::bigint::text as ms
        from tariff_versions order by effective_from`.execute(db)
      const next: TariffVersionInForce[] = []
      for (const row of rows.rows) {
        let tariff = parsed.get(row.id)
        if (!tariff) {
          const files = await db.selectFrom('tariff_versions').select('files').where('id', '=', row.id).executeTakeFirstOrThrow()
          tariff = loadFeedFromFiles(files.files)
          parsed.set(row.id, tariff)
        }
        next.push({ id: row.id, effectiveFromMs: Number(row.ms), tariff })
      }
      versions = next
    },
    at(epochMs) {
      let found: TariffVersionInForce | undefined
      for (const v of versions) {
        if (v.effectiveFromMs <= epochMs) found = v
        else break
      }
      return found
    },
  }
}

/** Reads a GTFS feed folder into the `files` map a tariff version stores. */
export function readFeedFolder(folder: string): Record<string, string> {
  const files: Record<string, string> = {}
  for (const name of readdirSync(folder).sort()) if (name.endsWith('.txt')) files[name] = readFileSync(path.join(folder, name), 'utf8')
  return files
}

export function feedDigest(files: Record<string, string>): string {
  const hash = createHash('sha256')
  for (const name of Object.keys(files).sort()) hash.update(name).update('\0').update(files[name] ?? '').update('\0')
  return hash.digest('hex')
}

/**
 * Stores a tariff version in force from `effectiveFrom`, idempotently: the
 * same instant with the same files is a no-op; with other files, an error
 * (a published version is never edited; publish a new one).
 */
export async function saveTariffVersion(db: Db, version: { name: string; effectiveFrom: string; files: Record<string, string> }): Promise<string> {
  loadFeedFromFiles(version.files) // refuse a feed the ledger could not rate with
  const sha256 = feedDigest(version.files)
  await db
    .insertInto('tariff_versions')
    .values({ name: version.name, effective_from: version.effectiveFrom, files: JSON.stringify(version.files), sha256 })
    .onConflict((oc) => oc.column('effective_from').doNothing())
    .execute()
  const row = await db.selectFrom('tariff_versions').select(['id', 'sha256']).where('effective_from', '=', new Date(version.effectiveFrom)).executeTakeFirstOrThrow()
  if (row.sha256 !== sha256) throw new Error(`a different tariff version is already in force from ${version.effectiveFrom}`)
  return row.id
}
