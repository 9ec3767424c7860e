/**
 * An uploaded GTFS-Fares feed (a zip archive, or the .txt files as multipart
 * parts) read into the file map a tariff stores, under size limits, before
 * anything is decompressed past them: a declared size over a limit is refused
 * from the archive's directory, and yauzl checks each entry's real size
 * against its declared one while inflating, so an archive that lies (a zip
 * bomb) is cut off at the limit. Only plain GTFS file names are accepted: no
 * folders, no `..`, no absolute paths, nothing but `.txt`.
 */

import type { FeedFiles } from '@fare/tariffs'
import yauzl from 'yauzl'
import { FeedArchiveInvalid, FeedFileNameInvalid, FeedTooLarge } from '../errors.ts'

export interface FeedLimits {
  /** The largest upload: the zip archive, or all multipart parts together. */
  readonly uploadBytes: number
  /** The largest one file, uncompressed. */
  readonly fileBytes: number
  /** All files together, uncompressed. */
  readonly feedBytes: number
  readonly files: number
}

export const DEFAULT_FEED_LIMITS: FeedLimits = { uploadBytes: 4 * 1024 * 1024, fileBytes: 4 * 1024 * 1024, feedBytes: 16 * 1024 * 1024, files: 32 }

/** A GTFS file name at the feed's root: `fare_products.txt`. */
const FEED_FILE_NAME = /^[A-Za-z0-9_-]{1,64}\.txt$/

/** Refuses a name that is not a plain GTFS file name (FEED_FILE_NAME_INVALID). */
export function checkFeedFileName(name: string): void {
  if (FEED_FILE_NAME.test(name)) return
  const why =
    name.includes('..') || name.startsWith('/') || name.includes('\\') || /^[A-Za-z]:/.test(name)
      ? 'a path outside the feed'
      : name.includes('/')
        ? 'a file in a folder (put the .txt files at the root)'
        : 'not a GTFS .txt file name'
  throw new FeedFileNameInvalid(JSON.stringify(name.slice(0, 200)), why)
}

/** Adds one file to the feed, enforcing the per-feed limits. */
export class FeedCollector {
  readonly files: FeedFiles = {}
  private total = 0
  private count = 0
  constructor(private readonly limits: FeedLimits) {}

  /** Before reading a file's bytes: its name and (declared) size. */
  admit(name: string, bytes: number): void {
    checkFeedFileName(name)
    if (Object.hasOwn(this.files, name)) throw new FeedFileNameInvalid(JSON.stringify(name), 'the feed names this file twice')
    this.count += 1
    if (this.count > this.limits.files) throw new FeedTooLarge(`more than ${this.limits.files} files`)
    if (bytes > this.limits.fileBytes) throw new FeedTooLarge(`${name} is larger than ${this.limits.fileBytes} bytes uncompressed`)
    this.total += bytes
    if (this.total > this.limits.feedBytes) throw new FeedTooLarge(`the files are larger than ${this.limits.feedBytes} bytes together, uncompressed`)
  }

  add(name: string, data: Buffer): void {
    this.files[name] = data.toString('utf8')
  }
}

/** Reads a zip archive's .txt files. Refusals: FEED_ARCHIVE_INVALID, FEED_FILE_NAME_INVALID, FEED_TOO_LARGE. */
export async function readZipFeed(archive: Buffer, limits: FeedLimits): Promise<FeedFiles> {
  if (archive.length > limits.uploadBytes) throw new FeedTooLarge(`the archive is larger than ${limits.uploadBytes} bytes`)
  let zip: yauzl.ZipFile
  try {
    // Names are decoded here (decodeStrings: false) so a bad one is FEED_FILE_NAME_INVALID, not a broken archive.
    zip = await yauzl.fromBufferPromise(archive, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true })
  } catch (err) {
    throw new FeedArchiveInvalid(describe(err))
  }
  const collector = new FeedCollector(limits)
  try {
    if (zip.entryCount > limits.files) throw new FeedTooLarge(`more than ${limits.files} files`)
    for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true)
      collector.admit(name, entry.uncompressedSize)
      collector.add(name, await readEntry(zip, entry))
    }
  } finally {
    zip.close()
  }
  return collector.files
}

function describe(err: unknown): string {
  return `not a readable zip archive: ${err instanceof Error ? err.message : String(err)}`
}

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zip.off('entry', onEntry).off('end', onEnd).off('error', onError)
    }
    const onEntry = (entry: yauzl.Entry) => {
      cleanup()
      resolve(entry)
    }
    const onEnd = () => {
      cleanup()
      resolve(undefined)
    }
    const onError = (err: unknown) => {
      cleanup()
      reject(new FeedArchiveInvalid(describe(err)))
    }
    zip.on('entry', onEntry).on('end', onEnd).on('error', onError)
    zip.readEntry()
  })
}

/** The entry's bytes; yauzl fails the stream if it inflates past its declared size (checked against the limits). */
async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  try {
    const stream = await zip.openReadStreamPromise(entry)
    const chunks: Buffer[] = []
    for await (const chunk of stream) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks)
  } catch (err) {
    throw new FeedArchiveInvalid(describe(err))
  }
}
