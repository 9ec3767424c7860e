/**
 * Reading a feed from disk: a folder of GTFS text files or a zip archive.
 * This is the only IO in the package.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { FareError, feedInvalid } from '../errors.ts'
import type { Tariff } from '../model.ts'
import { buildTariff } from './validate.ts'
import { readZipEntries } from './zip.ts'

export function loadFeedFromFiles(files: Readonly<Record<string, string>>): Tariff {
  return buildTariff(files)
}

export function loadFeed(path: string): Tariff {
  const files: Record<string, string> = {}
  try {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path)) {
        if (name.endsWith('.txt')) files[name] = readFileSync(join(path, name), 'utf8')
      }
    } else {
      for (const [name, data] of readZipEntries(readFileSync(path))) {
        if (name.endsWith('.txt')) files[name.split('/').pop() ?? name] = data.toString('utf8')
      }
    }
  } catch (error) {
    if (error instanceof FareError) throw error
    const problem = error instanceof Error ? error.message : String(error)
    throw Object.assign(feedInvalid(path, 0, '*', `cannot read the feed: ${problem}`), { cause: error })
  }
  return buildTariff(files)
}
