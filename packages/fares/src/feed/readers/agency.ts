/** agency.txt: every agency's time zone; the first one is the feed's default. */
import { feedInvalid } from '../../errors.ts'
import type { Agency } from '../../model.ts'
import { isValidTimeZone } from '../../time/zone.ts'
import { field } from '../csv.ts'
import type { FeedReader } from '../feed-reader.ts'
import { required } from '../fields.ts'

const FILE = 'agency.txt'

export interface Agencies {
  readonly agencies: ReadonlyMap<string, Agency>
  readonly defaultTimezone: string
}

export function readAgencies(feed: FeedReader): Agencies {
  const agencies = new Map<string, Agency>()
  let defaultTimezone: string | undefined
  for (const row of feed.rows(FILE, true, ['agency_timezone'])) {
    const timezone = required(FILE, row, 'agency_timezone')
    if (!isValidTimeZone(timezone)) throw feedInvalid(FILE, row.line, 'agency_timezone', `unknown time zone ${JSON.stringify(timezone)}`)
    const agencyId = field(row, 'agency_id')
    if (agencies.has(agencyId)) throw feedInvalid(FILE, row.line, 'agency_id', `duplicate key ${JSON.stringify(agencyId)}`)
    if (defaultTimezone !== undefined && timezone !== defaultTimezone) {
      feed.warn(FILE, row.line, 'agency_timezone', "agencies of one feed should share a time zone; each route uses its own agency's")
    }
    defaultTimezone ??= timezone
    agencies.set(agencyId, { agencyId, timezone })
  }
  if (defaultTimezone === undefined) throw feedInvalid(FILE, 1, 'agency_timezone', 'the file has no agency')
  return { agencies, defaultTimezone }
}
