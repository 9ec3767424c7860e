/** fare_caps.txt, this project's extension (docs/fares.md section 4): caps in the feed's currency. */
import { feedInvalid } from '../../errors.ts'
import type { Cap, CapPeriod, FareMedium, RiderCategory } from '../../model.ts'
import { parseGtfsTime } from '../../time/zone.ts'
import { type CsvRow, field } from '../csv.ts'
import type { FeedReader } from '../feed-reader.ts'
import { amount, integer, reference, required, unique, WEEKDAYS } from '../fields.ts'

const FILE = 'fare_caps.txt'

/** What a cap row may name. */
export interface CapReferences {
  readonly currency: string
  readonly riderCategories: ReadonlyMap<string, RiderCategory>
  readonly fareMedia: ReadonlyMap<string, FareMedium>
  readonly networkIds: ReadonlySet<string>
}

export function readFareCaps(feed: FeedReader, known: CapReferences): Cap[] {
  const caps: Cap[] = []
  const capIds = new Set<string>()
  for (const row of feed.rows(FILE, false, ['cap_id', 'amount', 'currency', 'period'])) {
    const capId = required(FILE, row, 'cap_id')
    unique(FILE, row, 'cap_id', capId, capIds)
    const capAmount = amount(FILE, row)
    if (capAmount.isNegative()) throw feedInvalid(FILE, row.line, 'amount', 'a cap cannot be negative')
    const capCurrency = required(FILE, row, 'currency')
    if (capCurrency !== known.currency) throw feedInvalid(FILE, row.line, 'currency', `must be the feed's currency ${known.currency}`)
    const period = readPeriod(feed, row)
    const dayStartText = field(row, 'day_start_time')
    const dayStartSecond = dayStartText === '' ? 0 : parseGtfsTime(dayStartText)
    if (dayStartSecond === undefined || dayStartSecond >= 86_400) {
      throw feedInvalid(FILE, row.line, 'day_start_time', `not a time of day: ${JSON.stringify(dayStartText)}`)
    }
    caps.push({
      line: row.line,
      capId,
      amount: capAmount,
      currency: capCurrency,
      period,
      dayStartSecond,
      riderCategoryId: reference(FILE, row, 'rider_category_id', known.riderCategories, 'rider category'),
      fareMediaId: reference(FILE, row, 'fare_media_id', known.fareMedia, 'fare medium'),
      networkId: reference(FILE, row, 'network_id', known.networkIds, 'network'),
    })
  }
  return caps
}

/** period with duration_days (rolling only) and week_start_day (week only); either given for another period is a warning. */
function readPeriod(feed: FeedReader, row: CsvRow): CapPeriod {
  const periodText = required(FILE, row, 'period')
  let period: CapPeriod
  const durationDays = integer(FILE, row, 'duration_days', 1, 366)
  const weekStartText = field(row, 'week_start_day').toLowerCase()
  switch (periodText) {
    case 'day':
      period = { kind: 'day' }
      break
    case 'month':
      period = { kind: 'month' }
      break
    case 'week': {
      const weekStartDay = weekStartText === '' ? 0 : WEEKDAYS.indexOf(weekStartText as (typeof WEEKDAYS)[number])
      if (weekStartDay < 0) throw feedInvalid(FILE, row.line, 'week_start_day', `not a weekday: ${JSON.stringify(weekStartText)}`)
      period = { kind: 'week', weekStartDay }
      break
    }
    case 'rolling':
      if (durationDays === undefined) throw feedInvalid(FILE, row.line, 'duration_days', 'required for a rolling cap')
      period = { kind: 'rolling', durationDays }
      break
    default:
      throw feedInvalid(FILE, row.line, 'period', `must be day, week, month or rolling, got ${JSON.stringify(periodText)}`)
  }
  if (period.kind !== 'rolling' && durationDays !== undefined) feed.warn(FILE, row.line, 'duration_days', 'only used by rolling caps; ignored')
  if (period.kind !== 'week' && weekStartText !== '') feed.warn(FILE, row.line, 'week_start_day', 'only used by week caps; ignored')
  return period
}
