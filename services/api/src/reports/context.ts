/** What each report query needs: the database, the range, whose figures, and the tariff's zone and currency for the range. */
import type { Db } from '@fare/db'
import { MS_PER_DAY } from '@fare/fares'
import type { TariffBook } from '@fare/tariffs'
import { serviceDayStartMs, serviceDayStartSecond } from '@fare/tariffs'
import type { ReportRange } from './range.ts'

export interface ReportContext {
  readonly db: Db
  readonly range: ReportRange
  /** Only this operator's figures; undefined: every operator's (admins). */
  readonly operator: string | undefined
  readonly timeZone: string
  /** Seconds after local midnight at which a service day starts (the tariff's caps' day start: 04:00 in Lutsk). */
  readonly dayStartSecond: number
  readonly currency: string
  /** The tariff's default (full-fare) rider categories: every other category is a concession. */
  readonly defaultRiderCategoryIds: readonly string[]
  /** The instants the range's first day starts and its end (`to`) starts: for facts kept by instant, not service day. */
  readonly fromInstant: Date
  readonly toInstant: Date
}

/** The context of a range under the tariff in force at its start (the latest published one, before the first). */
export async function reportContext(db: Db, tariffs: TariffBook, range: ReportRange, operator: string | undefined): Promise<ReportContext> {
  await tariffs.refresh(db)
  // The version in force at noon UTC of the first day: near enough to the local day's start for any zone.
  const version = tariffs.at(range.fromDay * MS_PER_DAY + MS_PER_DAY / 2) ?? tariffs.versions[0]
  const tariff = version?.tariff
  const timeZone = tariff?.defaultTimezone ?? 'UTC'
  const dayStart = tariff ? serviceDayStartSecond(tariff) : 0
  return {
    db,
    range,
    operator,
    timeZone,
    dayStartSecond: dayStart,
    currency: tariff?.currency ?? 'UAH',
    defaultRiderCategoryIds: tariff ? [...tariff.defaultRiderCategoryIds] : [],
    fromInstant: new Date(serviceDayStartMs(timeZone, dayStart, range.fromDay)),
    toInstant: new Date(serviceDayStartMs(timeZone, dayStart, range.toDay)),
  }
}
