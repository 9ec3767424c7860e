/**
 * The tariff versions the rider api explains charges with: each version in
 * `tariff_versions` parsed once and kept; the version in force at an instant
 * is the one the ledger rated a tap at that instant with (docs/ledger.md).
 *
 * A version the engine cannot load (one written around the check that
 * publishing makes) is left out, once, rather than failing every request:
 * the api then explains less (no caps, charges "as recorded") but still
 * answers balances and statements, which need no tariff.
 *
 * The same book as the ledger's (services/ledger/src/tariffs.ts); services do
 * not import each other, so until the book lives in a shared package the api
 * keeps this reader of its own.
 */
import { sql } from 'kysely'
import { FareError, loadFeedFromFiles, type Tariff } from '@fare/fares'
import type { Db } from '@fare/db'

export interface TariffVersionInForce {
  readonly id: string
  readonly effectiveFromMs: number
  readonly tariff: Tariff
}

export interface TariffBook {
  /** Re-reads the list of versions (one small query) and parses any new one. */
  refresh(db: Db): Promise<void>
  /** The version in force at an instant, or undefined before the first. */
  at(epochMs: number): TariffVersionInForce | undefined
}

function loadable(files: Record<string, string>): Tariff | null {
  try {
    return loadFeedFromFiles(files)
  } catch (err) {
    if (err instanceof FareError) return null
    throw err
  }
}

export function createTariffBook(): TariffBook {
  const parsed = new Map<string, Tariff | null>()
  let versions: TariffVersionInForce[] = []
  return {
    async refresh(db) {
      const rows = await sql<{ id: string; ms: string }>`
        select id::text as id, (extract(epoch from effective_from) * 1000)::bigint::text as ms
        from tariff_versions order by effective_from`.execute(db)
      const next: TariffVersionInForce[] = []
      for (const row of rows.rows) {
        let tariff = parsed.get(row.id)
        if (tariff === undefined) {
          const { files } = await db.selectFrom('tariff_versions').select('files').where('id', '=', row.id).executeTakeFirstOrThrow()
          tariff = loadable(files)
          parsed.set(row.id, tariff)
        }
        if (tariff === null) continue
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

/** The agency's time zone at an instant (the tariff then in force, else the latest), UTC before any tariff. */
export function zoneAt(book: TariffBook, ms: number): string {
  return (book.at(ms) ?? book.at(Number.MAX_SAFE_INTEGER))?.tariff.defaultTimezone ?? 'UTC'
}
