/** fare_media.txt: the fare media and their types. */
import { feedInvalid } from '../../errors.ts'
import type { FareMedium } from '../../model.ts'
import { field } from '../csv.ts'
import type { FeedReader } from '../feed-reader.ts'
import { integer, required } from '../fields.ts'

const FILE = 'fare_media.txt'

export function readFareMedia(feed: FeedReader): Map<string, FareMedium> {
  const fareMedia = new Map<string, FareMedium>()
  for (const row of feed.rows(FILE, false, ['fare_media_id'])) {
    const id = required(FILE, row, 'fare_media_id')
    if (fareMedia.has(id)) throw feedInvalid(FILE, row.line, 'fare_media_id', `duplicate key ${JSON.stringify(id)}`)
    const type = integer(FILE, row, 'fare_media_type', 0, 4)
    if (type === undefined) throw feedInvalid(FILE, row.line, 'fare_media_type', 'required value is empty')
    fareMedia.set(id, { fareMediaId: id, name: field(row, 'fare_media_name'), type })
  }
  return fareMedia
}
