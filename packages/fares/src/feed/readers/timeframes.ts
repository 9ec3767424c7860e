/** timeframes.txt: local time ranges per group and service; ranges of one group and service may not overlap. */
import { feedInvalid } from '../../errors.ts'
import type { Service, Timeframe } from '../../model.ts'
import { parseGtfsTime } from '../../time/zone.ts'
import { type CsvRow, field } from '../csv.ts'
import type { FeedReader } from '../feed-reader.ts'
import { required } from '../fields.ts'

const FILE = 'timeframes.txt'

export function readTimeframes(feed: FeedReader, services: ReadonlyMap<string, Service>): Timeframe[] {
  const timeframes: Timeframe[] = []
  for (const row of feed.rows(FILE, false, ['timeframe_group_id', 'service_id'])) {
    const groupId = required(FILE, row, 'timeframe_group_id')
    const serviceId = required(FILE, row, 'service_id')
    if (!services.has(serviceId)) throw feedInvalid(FILE, row.line, 'service_id', `unknown service ${JSON.stringify(serviceId)}`)
    const { startSecond, endSecond } = timeRange(row)
    for (const other of timeframes) {
      if (other.groupId === groupId && other.serviceId === serviceId && other.startSecond < endSecond && startSecond < other.endSecond) {
        throw feedInvalid(FILE, row.line, 'start_time', `overlaps the timeframe on line ${other.line} of the same group and service`)
      }
    }
    timeframes.push({ line: row.line, groupId, startSecond, endSecond, serviceId })
  }
  return timeframes
}

/** start_time and end_time in seconds of the day; both empty = the whole day. */
function timeRange(row: CsvRow): { startSecond: number; endSecond: number } {
  const startText = field(row, 'start_time')
  const endText = field(row, 'end_time')
  if ((startText === '') !== (endText === '')) {
    throw feedInvalid(FILE, row.line, startText === '' ? 'start_time' : 'end_time', 'start_time and end_time must both be given or both be empty')
  }
  if (startText === '') return { startSecond: 0, endSecond: 86_400 }
  const start = parseGtfsTime(startText)
  if (start === undefined || start > 86_400) throw feedInvalid(FILE, row.line, 'start_time', `not a time: ${JSON.stringify(startText)}`)
  const end = parseGtfsTime(endText)
  if (end === undefined || end > 86_400) throw feedInvalid(FILE, row.line, 'end_time', `not a time: ${JSON.stringify(endText)}`)
  if (end <= start) throw feedInvalid(FILE, row.line, 'end_time', 'must be later than start_time')
  return { startSecond: start, endSecond: end }
}
