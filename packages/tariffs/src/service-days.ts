/**
 * Service days: the agency's local days as its reports count them. A day
 * starts at the tariff's day start (the earliest `day_start_time` of its
 * caps, so a night bus at 02:30 counts in the day whose cap it fills), else at
 * local midnight.
 */
import { civilOf, dayNumberOf, instantOfLocal, localTime, MS_PER_DAY, type Tariff } from '@fare/fares'

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

/** Seconds after local midnight at which the tariff's service day starts. */
export function serviceDayStartSecond(tariff: Tariff): number {
  let start: number | undefined
  for (const cap of tariff.caps) start = start === undefined ? cap.dayStartSecond : Math.min(start, cap.dayStartSecond)
  return start ?? 0
}

export interface ServiceTime {
  /** 'YYYY-MM-DD' */
  readonly day: string
  /** The local wall-clock hour, 0 to 23. */
  readonly hour: number
}

/** The service day and local hour of an instant under a tariff. */
export function serviceTimeOf(tariff: Tariff, epochMs: number): ServiceTime {
  const local = localTime(tariff.defaultTimezone, epochMs)
  const dayNumber = local.secondOfDay < serviceDayStartSecond(tariff) ? local.dayNumber - 1 : local.dayNumber
  return { day: formatDay(dayNumber), hour: Math.floor(local.secondOfDay / 3600) }
}

/** The instant a service day begins in `zone` (its start time, or the first instant after a clock change skipping it). */
export function serviceDayStartMs(zone: string, dayStartSecond: number, dayNumber: number): number {
  return instantOfLocal(zone, dayNumber * MS_PER_DAY + dayStartSecond * 1000)
}
