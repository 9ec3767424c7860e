/** rider_categories.txt: the rider categories and which of them are the default. */
import { feedInvalid } from '../../errors.ts'
import type { RiderCategory } from '../../model.ts'
import { field } from '../csv.ts'
import type { FeedReader } from '../feed-reader.ts'
import { integer, required } from '../fields.ts'

const FILE = 'rider_categories.txt'

export function readRiderCategories(feed: FeedReader): Map<string, RiderCategory> {
  const riderCategories = new Map<string, RiderCategory>()
  for (const row of feed.rows(FILE, false, ['rider_category_id'])) {
    const id = required(FILE, row, 'rider_category_id')
    if (riderCategories.has(id)) throw feedInvalid(FILE, row.line, 'rider_category_id', `duplicate key ${JSON.stringify(id)}`)
    const isDefault = integer(FILE, row, 'is_default_fare_category', 0, 1) === 1
    riderCategories.set(id, { riderCategoryId: id, name: field(row, 'rider_category_name'), isDefault })
  }
  return riderCategories
}
