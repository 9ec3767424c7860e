/** What validators are given: the version in force now, the next one, and a version's files. */
import type { Db } from '@fare/db'
import type { FeedFiles } from './feed.ts'

export interface PublishedVersion {
  readonly id: string
  readonly name: string
  readonly effectiveFrom: Date
  readonly sha256: string
}

export interface PublishedVersions {
  /** In force at the instant asked about; undefined before the first version. */
  readonly current: PublishedVersion | undefined
  /** The first version after that instant, when one is scheduled. */
  readonly next: PublishedVersion | undefined
}

export interface TariffVersionFeed {
  readonly id: string
  readonly sha256: string
  readonly files: FeedFiles
}

export async function publishedVersions(db: Db, at: Date): Promise<PublishedVersions> {
  const versions = db.selectFrom('tariff_versions').select(['id', 'name', 'effective_from as effectiveFrom', 'sha256'])
  const current = await versions.where('effective_from', '<=', at).orderBy('effective_from', 'desc').limit(1).executeTakeFirst()
  const next = await versions.where('effective_from', '>', at).orderBy('effective_from', 'asc').limit(1).executeTakeFirst()
  return { current, next }
}

/** One version's files and digest; undefined for an unknown id. */
export async function tariffVersionFeed(db: Db, id: string): Promise<TariffVersionFeed | undefined> {
  return db.selectFrom('tariff_versions').select(['id', 'sha256', 'files']).where('id', '=', id).executeTakeFirst()
}
