/**
 * Publishing a tariff version. A version is never edited once stored: the
 * ledger may already have rated taps with it, and validators cache it by its
 * digest. A change is a new version from a later instant.
 */

import type { Db } from '@fare/db'
import { FareError, loadFeedFromFiles, parseInstant } from '@fare/fares'
import { type FeedFiles, feedDigest } from './feed.ts'

export type TariffVersionErrorCode = 'TARIFF_FEED_INVALID' | 'TARIFF_EFFECTIVE_FROM_INVALID' | 'TARIFF_VERSION_CONFLICT'

export class TariffVersionError extends Error {
  readonly code: TariffVersionErrorCode
  constructor(code: TariffVersionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TariffVersionError'
    this.code = code
  }
}

export interface NewTariffVersion {
  readonly name: string
  /** The instant from which the version is in force, with its UTC offset (RFC 3339). */
  readonly effectiveFrom: string
  readonly files: Readonly<FeedFiles>
}

/**
 * Stores a tariff version, idempotently: the same instant with the same files
 * is a no-op that answers the stored id. Refused, with nothing written: a feed
 * the fare engine cannot load (the ledger could not rate with it), an instant
 * that is not one, and other files at an instant already published.
 */
export async function saveTariffVersion(db: Db, version: NewTariffVersion): Promise<string> {
  try {
    loadFeedFromFiles(version.files)
  } catch (err) {
    if (err instanceof FareError)
      throw new TariffVersionError('TARIFF_FEED_INVALID', `tariff ${JSON.stringify(version.name)} is not a valid feed: ${err.message}`, { cause: err })
    throw err
  }
  const effectiveFromMs = parseInstant(version.effectiveFrom)
  if (effectiveFromMs === undefined)
    throw new TariffVersionError('TARIFF_EFFECTIVE_FROM_INVALID', `effectiveFrom ${JSON.stringify(version.effectiveFrom)} is not a time with a UTC offset`)
  const effectiveFrom = new Date(effectiveFromMs)
  const sha256 = feedDigest(version.files)
  await db
    .insertInto('tariff_versions')
    .values({ name: version.name, effective_from: effectiveFrom, files: JSON.stringify(version.files), sha256 })
    .onConflict((oc) => oc.column('effective_from').doNothing())
    .execute()
  const row = await db.selectFrom('tariff_versions').select(['id', 'sha256']).where('effective_from', '=', effectiveFrom).executeTakeFirstOrThrow()
  if (row.sha256 !== sha256)
    throw new TariffVersionError(
      'TARIFF_VERSION_CONFLICT',
      `a different tariff version is already in force from ${version.effectiveFrom}; publish a new version instead`,
    )
  return row.id
}
