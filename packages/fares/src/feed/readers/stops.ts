/**
 * stops.txt and stop_areas.txt: each stop's station, time zone and areas
 * (docs/fares.md section 2).
 */
import { feedInvalid } from '../../errors.ts'
import type { Stop } from '../../model.ts'
import { isValidTimeZone } from '../../time/zone.ts'
import { type CsvRow, field } from '../csv.ts'
import type { FeedReader } from '../feed-reader.ts'
import { opt, reference, required } from '../fields.ts'

const FILE = 'stops.txt'

export function readStops(feed: FeedReader, areaIds: ReadonlySet<string>): Map<string, Stop> {
  if (feed.has('stop_areas.txt') && !feed.has(FILE)) throw feedInvalid(FILE, 0, '*', 'required when stop_areas.txt is present')
  const stopRows = feed.rows(FILE, false, ['stop_id'])
  const stopIds = new Set<string>()
  for (const row of stopRows) {
    const id = required(FILE, row, 'stop_id')
    if (stopIds.has(id)) throw feedInvalid(FILE, row.line, 'stop_id', `duplicate key ${JSON.stringify(id)}`)
    stopIds.add(id)
  }
  const ownAreas = readStopAreas(feed, areaIds, stopIds)
  const parentOf = new Map<string, string>()
  const stopTimezones = new Map<string, string>()
  for (const row of stopRows) readStation(row, stopIds, parentOf, stopTimezones)
  const stops = new Map<string, Stop>()
  for (const id of stopIds) {
    // A platform inherits its station's areas unless it has its own. Its time
    // zone is always its station's (none: the agency's), never its own, as
    // GTFS stops.txt says. The station is the top of the parent chain (a
    // boarding area's parent is a platform).
    let areas = ownAreas.get(id)
    let station = id
    let ancestor = parentOf.get(id)
    for (let depth = 0; ancestor !== undefined && depth < 4; depth++) {
      areas ??= ownAreas.get(ancestor)
      station = ancestor
      ancestor = parentOf.get(ancestor)
    }
    stops.set(id, { stopId: id, stationId: station, timezone: stopTimezones.get(station), areaIds: areas ?? [] })
  }
  return stops
}

/** A stop row's parent_station and stop_timezone. */
function readStation(row: CsvRow, stopIds: ReadonlySet<string>, parentOf: Map<string, string>, stopTimezones: Map<string, string>): void {
  const id = field(row, 'stop_id')
  const parent = reference(FILE, row, 'parent_station', stopIds, 'stop')
  if (parent !== undefined) {
    if (parent === id) throw feedInvalid(FILE, row.line, 'parent_station', 'a stop cannot be its own station')
    parentOf.set(id, parent)
  }
  const timezone = opt(field(row, 'stop_timezone'))
  if (timezone !== undefined) {
    if (!isValidTimeZone(timezone)) throw feedInvalid(FILE, row.line, 'stop_timezone', `unknown time zone ${JSON.stringify(timezone)}`)
    stopTimezones.set(id, timezone)
  }
}

/** stop_areas.txt: each stop's own areas, in file order; a repeated row is a warning. */
function readStopAreas(feed: FeedReader, areaIds: ReadonlySet<string>, stopIds: ReadonlySet<string>): Map<string, string[]> {
  const file = 'stop_areas.txt'
  const ownAreas = new Map<string, string[]>()
  const seen = new Set<string>()
  for (const row of feed.rows(file, false, ['area_id', 'stop_id'])) {
    const areaId = required(file, row, 'area_id')
    const stopId = required(file, row, 'stop_id')
    if (!areaIds.has(areaId)) throw feedInvalid(file, row.line, 'area_id', `unknown area ${JSON.stringify(areaId)}`)
    if (!stopIds.has(stopId)) throw feedInvalid(file, row.line, 'stop_id', `unknown stop ${JSON.stringify(stopId)}`)
    const key = `${areaId}\u0000${stopId}`
    if (seen.has(key)) {
      feed.warn(file, row.line, 'stop_id', 'duplicate row, ignored')
      continue
    }
    seen.add(key)
    const list = ownAreas.get(stopId) ?? []
    list.push(areaId)
    ownAreas.set(stopId, list)
  }
  return ownAreas
}
