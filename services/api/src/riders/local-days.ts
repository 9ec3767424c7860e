/** Calendar days in the agency's time zone: what `from` and `to` of the trips route name. */
import { instantOfLocal, localTime, MS_PER_DAY } from '@fare/fares'

export { formatDay, parseDay } from '@fare/tariffs'

/** The instant a local day begins (its midnight, or the first instant after a clock change skipping it). */
export function dayStartMs(zone: string, dayNumber: number): number {
  return instantOfLocal(zone, dayNumber * MS_PER_DAY)
}

export function today(zone: string, now: Date): number {
  return localTime(zone, now.getTime()).dayNumber
}
