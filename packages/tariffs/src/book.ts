/**
 * The ledger's view of the tariff versions: each is parsed once and kept, and
 * each tap is rated with the version in force at the tap's own time, never
 * the one in force when it arrived.
 */

import type { Database } from '@fare/db'
import { loadFeedFromFiles, type Tariff } from '@fare/fares'
import type { Kysely } from 'kysely'

export interface TariffVersionInForce {
  readonly id: string
  readonly effectiveFromMs: number
  readonly tariff: Tariff
}

export interface TariffBook {
  /** Re-reads the list of versions (cheap) and parses any new one. Takes a transaction as well as a pool. */
  refresh(db: Kysely<Database>): Promise<void>
  /** The version in force at an instant, or undefined before the first. */
  at(epochMs: number): TariffVersionInForce | undefined
  /** In the order they come into force. */
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
      const rows = await db.selectFrom('tariff_versions').select(['id', 'effective_from']).orderBy('effective_from').execute()
      const next: TariffVersionInForce[] = []
      for (const row of rows) {
        let tariff = parsed.get(row.id)
        if (!tariff) {
          // Only a version not parsed yet has its files read: they are the large part of a row.
          const { files } = await db.selectFrom('tariff_versions').select('files').where('id', '=', row.id).executeTakeFirstOrThrow()
          tariff = loadFeedFromFiles(files)
          parsed.set(row.id, tariff)
        }
        next.push({ id: row.id, effectiveFromMs: new Date(row.effective_from).getTime(), tariff })
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

/** The agency's time zone at an instant (the tariff then in force, else the latest), UTC before any tariff. */
export function timeZoneAt(book: TariffBook, epochMs: number): string {
  return (book.at(epochMs) ?? book.at(Number.MAX_SAFE_INTEGER))?.tariff.defaultTimezone ?? 'UTC'
}
