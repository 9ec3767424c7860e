/** Calendar days in the agency's time zone: what `from` and `to` of the trips route name. */
import { civilOf, dayNumberOf, instantOfLocal, localTime, MS_PER_DAY } from '@fare/fares'

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/** The day number of a `YYYY-MM-DD` that is a real date, else undefined. */
export function parseDay(text: string): number | undefined {
  const match = DATE.exec(text)
  if (!match) return undefined
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const dayNumber = dayNumberOf(year, month, day)
  const back = civilOf(dayNumber)
  return back.year === year && back.month === month && back.day === day ? dayNumber : undefined
}

export function formatDay(dayNumber: number): string {
  const { year, month, day } = civilOf(dayNumber)
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
}

/** The instant a local day begins (its midnight, or the first instant after a clock change skipping it). */
export function dayStartMs(zone: string, dayNumber: number): number {
  return instantOfLocal(zone, dayNumber * MS_PER_DAY)
}

export function today(zone: string, now: Date): number {
  return localTime(zone, now.getTime()).dayNumber
}
