/** areas.txt: the declared area ids. */
import { feedInvalid } from '../../errors.ts'
import type { FeedReader } from '../feed-reader.ts'
import { required } from '../fields.ts'

const FILE = 'areas.txt'

export function readAreas(feed: FeedReader): Set<string> {
  const areaIds = new Set<string>()
  for (const row of feed.rows(FILE, false, ['area_id'])) {
    const id = required(FILE, row, 'area_id')
    if (areaIds.has(id)) throw feedInvalid(FILE, row.line, 'area_id', `duplicate key ${JSON.stringify(id)}`)
    areaIds.add(id)
  }
  return areaIds
}
