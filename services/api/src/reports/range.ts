/**
 * The date range every report takes: `from` inclusive, `to` exclusive, both
 * service days (YYYY-MM-DD) in the agency's time zone. A range is at most
 * MAX_REPORT_DAYS long, so one request cannot ask Postgres for years.
 */
import { formatDay, parseDay } from '@fare/tariffs'
import { Type } from 'typebox'
import { ReportRangeInvalid } from '../errors.ts'

export const MAX_REPORT_DAYS = 366

const Day = (description: string) => Type.String({ minLength: 10, maxLength: 10, description })

/** The query fields every report shares; a report adds its own (groupBy) beside them. */
export const ReportQueryFields = {
  from: Day("first service day, inclusive (YYYY-MM-DD, the agency's time zone)"),
  to: Day('day after the last, exclusive (YYYY-MM-DD)'),
  operator: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$', description: 'admins: one operator only' })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: 'overrides the Accept header' })),
}

export interface ReportRange {
  /** 'YYYY-MM-DD', inclusive. */
  readonly from: string
  /** 'YYYY-MM-DD', exclusive. */
  readonly to: string
  readonly fromDay: number
  readonly toDay: number
}

/** Checks `from` and `to`; a bad date, an empty or reversed range, or one too long is 400 REPORT_RANGE_INVALID. */
export function parseReportRange(from: string, to: string): ReportRange {
  const fromDay = parseDay(from)
  const toDay = parseDay(to)
  if (fromDay === undefined) throw new ReportRangeInvalid(`from ${JSON.stringify(from)} is not a date (YYYY-MM-DD)`)
  if (toDay === undefined) throw new ReportRangeInvalid(`to ${JSON.stringify(to)} is not a date (YYYY-MM-DD)`)
  if (toDay <= fromDay) throw new ReportRangeInvalid(`to (${to}) must be after from (${from}); to is exclusive`)
  if (toDay - fromDay > MAX_REPORT_DAYS) throw new ReportRangeInvalid(`the range is ${toDay - fromDay} days; at most ${MAX_REPORT_DAYS}`)
  return { from: formatDay(fromDay), to: formatDay(toDay), fromDay, toDay }
}

/** A month (YYYY-MM) as a range of its service days; a bad month is 400 REPORT_RANGE_INVALID. */
export function monthRange(month: string): ReportRange {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month)
  if (!match) throw new ReportRangeInvalid(`month ${JSON.stringify(month)} is not YYYY-MM`)
  const year = Number(match[1])
  const next = match[2] === '12' ? `${year + 1}-01` : `${year}-${String(Number(match[2]) + 1).padStart(2, '0')}`
  return parseReportRange(`${month}-01`, `${next}-01`)
}

/**
 * The query fields of a monthly report (a concession claim, an operator's
 * statement): `month`, or `from` and `to` for any other range.
 */
export const MonthQueryFields = {
  month: Type.Optional(Type.String({ minLength: 7, maxLength: 7, description: 'a calendar month of service days (YYYY-MM); or give from and to' })),
  from: Type.Optional(Day("first service day, inclusive (YYYY-MM-DD, the agency's time zone); instead of month")),
  to: Type.Optional(Day('day after the last, exclusive (YYYY-MM-DD); instead of month')),
}

/** `month`, or `from` and `to`: exactly one of the two forms, else 400 REPORT_RANGE_INVALID. */
export function monthOrRange(query: { month?: unknown; from?: unknown; to?: unknown }): ReportRange {
  const { month, from, to } = query as { month?: string; from?: string; to?: string }
  if (month !== undefined) {
    if (from !== undefined || to !== undefined) throw new ReportRangeInvalid('give month, or from and to, not both')
    return monthRange(month)
  }
  if (from === undefined || to === undefined) throw new ReportRangeInvalid('give month (YYYY-MM), or from and to (YYYY-MM-DD)')
  return parseReportRange(from, to)
}
