/** networks.txt: the declared network ids. */
import type { FeedReader } from '../feed-reader.ts'
import { required, unique } from '../fields.ts'

const FILE = 'networks.txt'

export function readNetworks(feed: FeedReader): Set<string> {
  const networkIds = new Set<string>()
  for (const row of feed.rows(FILE, false, ['network_id'])) {
    const id = required(FILE, row, 'network_id')
    unique(FILE, row, 'network_id', id, networkIds)
  }
  return networkIds
}
