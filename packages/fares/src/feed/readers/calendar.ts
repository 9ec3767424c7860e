/** calendar.txt and calendar_dates.txt: the days each service runs. */
import { feedInvalid } from '../../errors.ts'
import type { Service } from '../../model.ts'
import { parseDate } from '../../time/zone.ts'
import type { FeedReader } from '../feed-reader.ts'
import { integer, required, WEEKDAYS } from '../fields.ts'

interface ServiceBeingRead {
  weekdays: boolean[]
  startDay: number
  endDay: number
  added: Set<number>
  removed: Set<number>
}

export function readCalendar(feed: FeedReader): ReadonlyMap<string, Service> {
  const file = 'calendar.txt'
  const services = new Map<string, ServiceBeingRead>()
  for (const row of feed.rows(file, false, ['service_id', ...WEEKDAYS, 'start_date', 'end_date'])) {
    const id = required(file, row, 'service_id')
    if (services.has(id)) throw feedInvalid(file, row.line, 'service_id', `duplicate key ${JSON.stringify(id)}`)
    const weekdays = WEEKDAYS.map((day) => integer(file, row, day, 0, 1) === 1)
    const startDay = parseDate(required(file, row, 'start_date'))
    if (startDay === undefined) throw feedInvalid(file, row.line, 'start_date', 'not a date (YYYYMMDD)')
    const endDay = parseDate(required(file, row, 'end_date'))
    if (endDay === undefined) throw feedInvalid(file, row.line, 'end_date', 'not a date (YYYYMMDD)')
    services.set(id, { weekdays, startDay, endDay, added: new Set(), removed: new Set() })
  }
  readCalendarDates(feed, services)
  return services
}

/** calendar_dates.txt: days added to or removed from a service; a service only listed here runs on its added days. */
function readCalendarDates(feed: FeedReader, services: Map<string, ServiceBeingRead>): void {
  const file = 'calendar_dates.txt'
  for (const row of feed.rows(file, false, ['service_id', 'date', 'exception_type'])) {
    const id = required(file, row, 'service_id')
    const day = parseDate(required(file, row, 'date'))
    if (day === undefined) throw feedInvalid(file, row.line, 'date', 'not a date (YYYYMMDD)')
    const type = integer(file, row, 'exception_type', 1, 2)
    if (type === undefined) throw feedInvalid(file, row.line, 'exception_type', 'required value is empty')
    let service = services.get(id)
    if (!service) {
      service = { weekdays: WEEKDAYS.map(() => false), startDay: 1, endDay: 0, added: new Set(), removed: new Set() }
      services.set(id, service)
    }
    if (type === 1) service.added.add(day)
    else service.removed.add(day)
  }
}
