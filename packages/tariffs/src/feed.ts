/** A GTFS feed as a tariff version stores it: file name to file text. */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

export type FeedFiles = Record<string, string>

/** Reads a GTFS feed folder's `.txt` files into the map a tariff version stores. */
export function readFeedFolder(folder: string): FeedFiles {
  const files: FeedFiles = {}
  for (const name of readdirSync(folder).sort()) if (name.endsWith('.txt')) files[name] = readFileSync(path.join(folder, name), 'utf8')
  return files
}

/**
 * The feed's SHA-256 over its files in name order. It tells an edited version
 * from a repeated publish, and validators use it as the ETag of the feed.
 */
export function feedDigest(files: Readonly<FeedFiles>): string {
  const hash = createHash('sha256')
  for (const name of Object.keys(files).sort())
    hash
      .update(name)
      .update('\0')
      .update(files[name] ?? '')
      .update('\0')
  return hash.digest('hex')
}
