/**
 * Builds a Tariff from the text of a feed's files and validates it
 * (docs/fares.md section 1). What makes a price impossible to know fails with
 * FEED_INVALID naming file, line and field; what has one obvious reading is
 * a warning, reported and then ignored.
 */
import { Decimal, parseAmount } from '@fare/money'
import { feedInvalid } from '../errors.ts'
import { checkAmountRange, checkDecimalPlaces, type AmountAt } from '../compiled.ts'
import type {
  Agency, Cap, CapPeriod, DurationLimitType, FareMedium, FareTransferType, FeedWarning, JoinRule, LegRule, ProductRow,
  RiderCategory, Route, Service, Stop, Tariff, Timeframe, TransferRule,
} from '../model.ts'
import { isValidTimeZone, parseDate, parseGtfsTime } from '../time/zone.ts'
import { field, parseCsv, type CsvRow, type CsvTable } from './csv.ts'

/** Columns the engine knows per file; others raise an "unknown column" warning. */
const KNOWN_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  'agency.txt': ['agency_id', 'agency_name', 'agency_url', 'agency_timezone', 'agency_lang', 'agency_phone', 'agency_fare_url', 'agency_email', 'cemv_support'],
  'routes.txt': ['route_id', 'agency_id', 'route_short_name', 'route_long_name', 'route_desc', 'route_type', 'route_url', 'route_color', 'route_text_color', 'route_sort_order', 'continuous_pickup', 'continuous_drop_off', 'network_id', 'cemv_support'],
  'stops.txt': ['stop_id', 'stop_code', 'stop_name', 'tts_stop_name', 'stop_desc', 'stop_lat', 'stop_lon', 'zone_id', 'stop_url', 'location_type', 'parent_station', 'stop_timezone', 'wheelchair_boarding', 'level_id', 'platform_code', 'stop_access'],
  'fare_products.txt': ['fare_product_id', 'fare_product_name', 'rider_category_id', 'fare_media_id', 'amount', 'currency'],
  'fare_leg_rules.txt': ['leg_group_id', 'network_id', 'from_area_id', 'to_area_id', 'from_timeframe_group_id', 'to_timeframe_group_id', 'fare_product_id', 'rule_priority'],
  'fare_transfer_rules.txt': ['from_leg_group_id', 'to_leg_group_id', 'transfer_count', 'duration_limit', 'duration_limit_type', 'fare_transfer_type', 'fare_product_id'],
  'fare_leg_join_rules.txt': ['from_network_id', 'to_network_id', 'from_stop_id', 'to_stop_id'],
  'areas.txt': ['area_id', 'area_name'],
  'stop_areas.txt': ['area_id', 'stop_id'],
  'networks.txt': ['network_id', 'network_name'],
  'route_networks.txt': ['network_id', 'route_id'],
  'timeframes.txt': ['timeframe_group_id', 'start_time', 'end_time', 'service_id'],
  'calendar.txt': ['service_id', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'start_date', 'end_date'],
  'calendar_dates.txt': ['service_id', 'date', 'exception_type'],
  'rider_categories.txt': ['rider_category_id', 'rider_category_name', 'is_default_fare_category', 'eligibility_url', 'min_age', 'max_age'],
  'fare_media.txt': ['fare_media_id', 'fare_media_name', 'fare_media_type'],
  'fare_caps.txt': ['cap_id', 'amount', 'currency', 'period', 'duration_days', 'week_start_day', 'day_start_time', 'rider_category_id', 'fare_media_id', 'network_id'],
}

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const

const opt = (value: string): string | undefined => (value === '' ? undefined : value)

class FeedReader {
  readonly warnings: FeedWarning[] = []
  private readonly tables = new Map<string, CsvTable>()

  constructor(files: Readonly<Record<string, string>>) {
    for (const [path, text] of Object.entries(files)) {
      const name = path.split(/[\\/]/).pop() ?? path
      if (!(name in KNOWN_COLUMNS)) continue
      const table = parseCsv(name, text)
      const known = KNOWN_COLUMNS[name] ?? []
      for (const column of table.header) {
        if (!known.includes(column)) this.warn(name, 1, column, 'unknown column, ignored')
      }
      const seen = new Set<string>()
      for (const column of table.header) {
        if (seen.has(column)) throw feedInvalid(name, 1, column, 'column appears twice in the header')
        seen.add(column)
      }
      for (const row of table.rows) {
        if (row.extraFields > 0) this.warn(name, row.line, '*', `${row.extraFields} field(s) beyond the header, ignored`)
      }
      this.tables.set(name, table)
    }
  }

  warn(file: string, line: number, fieldName: string, message: string): void {
    this.warnings.push({ file, line, field: fieldName, message })
  }

  has(file: string): boolean {
    return this.tables.has(file)
  }

  table(file: string, required: boolean, columns: readonly string[] = []): CsvTable | undefined {
    const table = this.tables.get(file)
    if (!table) {
      if (required) throw feedInvalid(file, 0, '*', 'required file is missing')
      return undefined
    }
    for (const column of columns) {
      if (!table.header.includes(column)) throw feedInvalid(file, 1, column, 'required column is missing')
    }
    return table
  }

  rows(file: string, required = false, columns: readonly string[] = []): readonly CsvRow[] {
    return this.table(file, required, columns)?.rows ?? []
  }
}

function required(file: string, row: CsvRow, name: string): string {
  const value = field(row, name)
  if (value === '') throw feedInvalid(file, row.line, name, 'required value is empty')
  return value
}

function integer(file: string, row: CsvRow, name: string, min: number, max: number): number | undefined {
  const text = field(row, name)
  if (text === '') return undefined
  if (!/^-?\d+$/.test(text)) throw feedInvalid(file, row.line, name, `not an integer: ${JSON.stringify(text)}`)
  const value = Number(text)
  if (value < min || value > max) throw feedInvalid(file, row.line, name, `must be between ${min} and ${max}, got ${text}`)
  return value
}

function unique(file: string, row: CsvRow, name: string, key: string, seen: Set<string>): void {
  if (seen.has(key)) throw feedInvalid(file, row.line, name, `duplicate key ${JSON.stringify(key)}`)
  seen.add(key)
}

const ZERO = new Decimal(0)

/** "-0" (or "-0.00") is zero: read as 0 so that no amount prints as "-0.00". */
function withoutNegativeZero(amount: Decimal): Decimal {
  return amount.isZero() ? ZERO : amount
}

function reference(file: string, row: CsvRow, name: string, known: ReadonlySet<string> | ReadonlyMap<string, unknown>, what: string): string | undefined {
  const value = opt(field(row, name))
  if (value !== undefined && !known.has(value)) throw feedInvalid(file, row.line, name, `unknown ${what} ${JSON.stringify(value)}`)
  return value
}

export function buildTariff(files: Readonly<Record<string, string>>): Tariff {
  const feed = new FeedReader(files)

  // agency.txt
  const agencies = new Map<string, Agency>()
  let defaultTimezone: string | undefined
  for (const row of feed.rows('agency.txt', true, ['agency_timezone'])) {
    const timezone = required('agency.txt', row, 'agency_timezone')
    if (!isValidTimeZone(timezone)) throw feedInvalid('agency.txt', row.line, 'agency_timezone', `unknown time zone ${JSON.stringify(timezone)}`)
    const agencyId = field(row, 'agency_id')
    if (agencies.has(agencyId)) throw feedInvalid('agency.txt', row.line, 'agency_id', `duplicate key ${JSON.stringify(agencyId)}`)
    if (defaultTimezone !== undefined && timezone !== defaultTimezone) {
      feed.warn('agency.txt', row.line, 'agency_timezone', 'agencies of one feed should share a time zone; each route uses its own agency\'s')
    }
    defaultTimezone ??= timezone
    agencies.set(agencyId, { agencyId, timezone })
  }
  if (defaultTimezone === undefined) throw feedInvalid('agency.txt', 1, 'agency_timezone', 'the file has no agency')

  // networks.txt
  const declaredNetworks = new Set<string>()
  const networkSeen = new Set<string>()
  for (const row of feed.rows('networks.txt', false, ['network_id'])) {
    const id = required('networks.txt', row, 'network_id')
    unique('networks.txt', row, 'network_id', id, networkSeen)
    declaredNetworks.add(id)
  }
  const hasNetworksFile = feed.has('networks.txt')

  // routes.txt and route_networks.txt
  const routeNetworkIds = new Map<string, string>()
  const routeRows = feed.rows('routes.txt', true, ['route_id'])
  const routeIds = new Set(routeRows.map((row) => field(row, 'route_id')))
  const routeNetworkSeen = new Set<string>()
  for (const row of feed.rows('route_networks.txt', false, ['network_id', 'route_id'])) {
    const networkId = required('route_networks.txt', row, 'network_id')
    const routeId = required('route_networks.txt', row, 'route_id')
    if (hasNetworksFile && !declaredNetworks.has(networkId)) throw feedInvalid('route_networks.txt', row.line, 'network_id', `unknown network ${JSON.stringify(networkId)}`)
    if (!routeIds.has(routeId)) throw feedInvalid('route_networks.txt', row.line, 'route_id', `unknown route ${JSON.stringify(routeId)}`)
    unique('route_networks.txt', row, 'route_id', routeId, routeNetworkSeen)
    routeNetworkIds.set(routeId, networkId)
    declaredNetworks.add(networkId)
  }
  const routes = new Map<string, Route>()
  const singleAgency = agencies.size === 1 ? [...agencies.keys()][0] ?? '' : undefined
  for (const row of routeRows) {
    const routeId = required('routes.txt', row, 'route_id')
    if (routes.has(routeId)) throw feedInvalid('routes.txt', row.line, 'route_id', `duplicate key ${JSON.stringify(routeId)}`)
    let agencyId = field(row, 'agency_id')
    if (agencyId === '') {
      if (singleAgency === undefined) throw feedInvalid('routes.txt', row.line, 'agency_id', 'required when the feed has several agencies')
      agencyId = singleAgency
    } else if (!agencies.has(agencyId)) {
      if (singleAgency !== undefined && singleAgency === '') agencyId = ''
      else throw feedInvalid('routes.txt', row.line, 'agency_id', `unknown agency ${JSON.stringify(agencyId)}`)
    }
    const columnNetwork = field(row, 'network_id')
    const listedNetwork = routeNetworkIds.get(routeId)
    if (columnNetwork !== '' && listedNetwork !== undefined) {
      throw feedInvalid('routes.txt', row.line, 'network_id', 'the route also appears in route_networks.txt')
    }
    if (columnNetwork !== '') declaredNetworks.add(columnNetwork)
    routes.set(routeId, { routeId, agencyId, networkId: listedNetwork ?? columnNetwork })
  }

  // areas.txt, stops.txt, stop_areas.txt
  const areaIds = new Set<string>()
  for (const row of feed.rows('areas.txt', false, ['area_id'])) {
    const id = required('areas.txt', row, 'area_id')
    if (areaIds.has(id)) throw feedInvalid('areas.txt', row.line, 'area_id', `duplicate key ${JSON.stringify(id)}`)
    areaIds.add(id)
  }
  if (feed.has('stop_areas.txt') && !feed.has('stops.txt')) throw feedInvalid('stops.txt', 0, '*', 'required when stop_areas.txt is present')
  const stopRows = feed.rows('stops.txt', false, ['stop_id'])
  const stopIds = new Set<string>()
  for (const row of stopRows) {
    const id = required('stops.txt', row, 'stop_id')
    if (stopIds.has(id)) throw feedInvalid('stops.txt', row.line, 'stop_id', `duplicate key ${JSON.stringify(id)}`)
    stopIds.add(id)
  }
  const ownAreas = new Map<string, string[]>()
  const stopAreaSeen = new Set<string>()
  for (const row of feed.rows('stop_areas.txt', false, ['area_id', 'stop_id'])) {
    const areaId = required('stop_areas.txt', row, 'area_id')
    const stopId = required('stop_areas.txt', row, 'stop_id')
    if (!areaIds.has(areaId)) throw feedInvalid('stop_areas.txt', row.line, 'area_id', `unknown area ${JSON.stringify(areaId)}`)
    if (!stopIds.has(stopId)) throw feedInvalid('stop_areas.txt', row.line, 'stop_id', `unknown stop ${JSON.stringify(stopId)}`)
    const key = `${areaId}\u0000${stopId}`
    if (stopAreaSeen.has(key)) { feed.warn('stop_areas.txt', row.line, 'stop_id', 'duplicate row, ignored'); continue }
    stopAreaSeen.add(key)
    const list = ownAreas.get(stopId) ?? []
    list.push(areaId)
    ownAreas.set(stopId, list)
  }
  const parentOf = new Map<string, string>()
  const stopTimezones = new Map<string, string>()
  for (const row of stopRows) {
    const id = field(row, 'stop_id')
    const parent = reference('stops.txt', row, 'parent_station', stopIds, 'stop')
    if (parent !== undefined) {
      if (parent === id) throw feedInvalid('stops.txt', row.line, 'parent_station', 'a stop cannot be its own station')
      parentOf.set(id, parent)
    }
    const timezone = opt(field(row, 'stop_timezone'))
    if (timezone !== undefined) {
      if (!isValidTimeZone(timezone)) throw feedInvalid('stops.txt', row.line, 'stop_timezone', `unknown time zone ${JSON.stringify(timezone)}`)
      stopTimezones.set(id, timezone)
    }
  }
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

  // calendar.txt and calendar_dates.txt
  const services = new Map<string, { weekdays: boolean[]; startDay: number; endDay: number; added: Set<number>; removed: Set<number> }>()
  for (const row of feed.rows('calendar.txt', false, ['service_id', ...WEEKDAYS, 'start_date', 'end_date'])) {
    const id = required('calendar.txt', row, 'service_id')
    if (services.has(id)) throw feedInvalid('calendar.txt', row.line, 'service_id', `duplicate key ${JSON.stringify(id)}`)
    const weekdays = WEEKDAYS.map((day) => integer('calendar.txt', row, day, 0, 1) === 1)
    const startDay = parseDate(required('calendar.txt', row, 'start_date'))
    if (startDay === undefined) throw feedInvalid('calendar.txt', row.line, 'start_date', 'not a date (YYYYMMDD)')
    const endDay = parseDate(required('calendar.txt', row, 'end_date'))
    if (endDay === undefined) throw feedInvalid('calendar.txt', row.line, 'end_date', 'not a date (YYYYMMDD)')
    services.set(id, { weekdays, startDay, endDay, added: new Set(), removed: new Set() })
  }
  for (const row of feed.rows('calendar_dates.txt', false, ['service_id', 'date', 'exception_type'])) {
    const id = required('calendar_dates.txt', row, 'service_id')
    const day = parseDate(required('calendar_dates.txt', row, 'date'))
    if (day === undefined) throw feedInvalid('calendar_dates.txt', row.line, 'date', 'not a date (YYYYMMDD)')
    const type = integer('calendar_dates.txt', row, 'exception_type', 1, 2)
    if (type === undefined) throw feedInvalid('calendar_dates.txt', row.line, 'exception_type', 'required value is empty')
    let service = services.get(id)
    if (!service) {
      service = { weekdays: WEEKDAYS.map(() => false), startDay: 1, endDay: 0, added: new Set(), removed: new Set() }
      services.set(id, service)
    }
    if (type === 1) service.added.add(day)
    else service.removed.add(day)
  }

  // timeframes.txt
  const timeframes: Timeframe[] = []
  for (const row of feed.rows('timeframes.txt', false, ['timeframe_group_id', 'service_id'])) {
    const groupId = required('timeframes.txt', row, 'timeframe_group_id')
    const serviceId = required('timeframes.txt', row, 'service_id')
    if (!services.has(serviceId)) throw feedInvalid('timeframes.txt', row.line, 'service_id', `unknown service ${JSON.stringify(serviceId)}`)
    const startText = field(row, 'start_time')
    const endText = field(row, 'end_time')
    if ((startText === '') !== (endText === '')) {
      throw feedInvalid('timeframes.txt', row.line, startText === '' ? 'start_time' : 'end_time', 'start_time and end_time must both be given or both be empty')
    }
    let startSecond = 0
    let endSecond = 86_400
    if (startText !== '') {
      const start = parseGtfsTime(startText)
      if (start === undefined || start > 86_400) throw feedInvalid('timeframes.txt', row.line, 'start_time', `not a time: ${JSON.stringify(startText)}`)
      const end = parseGtfsTime(endText)
      if (end === undefined || end > 86_400) throw feedInvalid('timeframes.txt', row.line, 'end_time', `not a time: ${JSON.stringify(endText)}`)
      if (end <= start) throw feedInvalid('timeframes.txt', row.line, 'end_time', 'must be later than start_time')
      startSecond = start
      endSecond = end
    }
    for (const other of timeframes) {
      if (other.groupId === groupId && other.serviceId === serviceId && other.startSecond < endSecond && startSecond < other.endSecond) {
        throw feedInvalid('timeframes.txt', row.line, 'start_time', `overlaps the timeframe on line ${other.line} of the same group and service`)
      }
    }
    timeframes.push({ line: row.line, groupId, startSecond, endSecond, serviceId })
  }
  const timeframeGroups = new Set(timeframes.map((t) => t.groupId))

  // rider_categories.txt and fare_media.txt
  const riderCategories = new Map<string, RiderCategory>()
  for (const row of feed.rows('rider_categories.txt', false, ['rider_category_id'])) {
    const id = required('rider_categories.txt', row, 'rider_category_id')
    if (riderCategories.has(id)) throw feedInvalid('rider_categories.txt', row.line, 'rider_category_id', `duplicate key ${JSON.stringify(id)}`)
    const isDefault = integer('rider_categories.txt', row, 'is_default_fare_category', 0, 1) === 1
    riderCategories.set(id, { riderCategoryId: id, name: field(row, 'rider_category_name'), isDefault })
  }
  const fareMedia = new Map<string, FareMedium>()
  for (const row of feed.rows('fare_media.txt', false, ['fare_media_id'])) {
    const id = required('fare_media.txt', row, 'fare_media_id')
    if (fareMedia.has(id)) throw feedInvalid('fare_media.txt', row.line, 'fare_media_id', `duplicate key ${JSON.stringify(id)}`)
    const type = integer('fare_media.txt', row, 'fare_media_type', 0, 4)
    if (type === undefined) throw feedInvalid('fare_media.txt', row.line, 'fare_media_type', 'required value is empty')
    fareMedia.set(id, { fareMediaId: id, name: field(row, 'fare_media_name'), type })
  }

  // fare_products.txt
  const products = new Map<string, ProductRow[]>()
  const productKeys = new Set<string>()
  let currency: string | undefined
  for (const row of feed.rows('fare_products.txt', true, ['fare_product_id', 'amount', 'currency'])) {
    const productId = required('fare_products.txt', row, 'fare_product_id')
    const riderCategoryId = reference('fare_products.txt', row, 'rider_category_id', riderCategories, 'rider category')
    const fareMediaId = reference('fare_products.txt', row, 'fare_media_id', fareMedia, 'fare medium')
    unique('fare_products.txt', row, 'fare_product_id', `${productId}\u0000${riderCategoryId ?? ''}\u0000${fareMediaId ?? ''}`, productKeys)
    const amountText = required('fare_products.txt', row, 'amount')
    let amount: Decimal
    try {
      amount = parseAmount(amountText)
    } catch {
      throw feedInvalid('fare_products.txt', row.line, 'amount', `not a decimal amount: ${JSON.stringify(amountText)}`)
    }
    amount = withoutNegativeZero(amount)
    checkDecimalPlaces({ file: 'fare_products.txt', line: row.line, amount })
    const rowCurrency = required('fare_products.txt', row, 'currency')
    if (!/^[A-Z]{3}$/.test(rowCurrency)) throw feedInvalid('fare_products.txt', row.line, 'currency', `not an ISO 4217 code: ${JSON.stringify(rowCurrency)}`)
    currency ??= rowCurrency
    if (rowCurrency !== currency) throw feedInvalid('fare_products.txt', row.line, 'currency', `the engine prices one currency per feed (${currency})`)
    const list = products.get(productId) ?? []
    list.push({ productId, productName: field(row, 'fare_product_name'), riderCategoryId, fareMediaId, amount, currency: rowCurrency, line: row.line })
    products.set(productId, list)
  }
  if (currency === undefined) throw feedInvalid('fare_products.txt', 1, 'fare_product_id', 'the file has no product')
  const defaultRiderCategoryIds = new Set([...riderCategories.values()].filter((c) => c.isDefault).map((c) => c.riderCategoryId))
  for (const [productId, rows] of products) {
    const defaults = new Set(rows.map((r) => r.riderCategoryId).filter((id): id is string => id !== undefined && defaultRiderCategoryIds.has(id)))
    if (defaults.size > 1) {
      const row = rows.find((r) => r.riderCategoryId !== undefined && defaultRiderCategoryIds.has(r.riderCategoryId))
      throw feedInvalid('fare_products.txt', row?.line ?? 1, 'rider_category_id', `product ${JSON.stringify(productId)} has more than one default rider category`)
    }
  }

  // fare_leg_rules.txt
  const legTable = feed.table('fare_leg_rules.txt', true, ['fare_product_id'])
  const hasRulePriority = legTable?.header.includes('rule_priority') ?? false
  const legRules: LegRule[] = []
  const legRuleKeys = new Set<string>()
  for (const row of legTable?.rows ?? []) {
    const file = 'fare_leg_rules.txt'
    const productId = required(file, row, 'fare_product_id')
    if (!products.has(productId)) throw feedInvalid(file, row.line, 'fare_product_id', `unknown fare product ${JSON.stringify(productId)}`)
    const networkId = reference(file, row, 'network_id', declaredNetworks, 'network')
    const fromAreaId = reference(file, row, 'from_area_id', areaIds, 'area')
    const toAreaId = reference(file, row, 'to_area_id', areaIds, 'area')
    const fromTimeframeGroupId = reference(file, row, 'from_timeframe_group_id', timeframeGroups, 'timeframe group')
    const toTimeframeGroupId = reference(file, row, 'to_timeframe_group_id', timeframeGroups, 'timeframe group')
    const priority = hasRulePriority ? integer(file, row, 'rule_priority', 0, Number.MAX_SAFE_INTEGER) ?? 0 : 0
    const legGroupId = opt(field(row, 'leg_group_id'))
    unique(file, row, 'fare_product_id', [networkId, fromAreaId, toAreaId, fromTimeframeGroupId, toTimeframeGroupId, productId].map((v) => v ?? '').join('\u0000'), legRuleKeys)
    legRules.push({ line: row.line, legGroupId, networkId, fromAreaId, toAreaId, fromTimeframeGroupId, toTimeframeGroupId, productId, priority })
  }
  const legGroupIds = new Set(legRules.map((r) => r.legGroupId).filter((id): id is string => id !== undefined))

  // fare_transfer_rules.txt
  const transferRules: TransferRule[] = []
  const transferKeys = new Set<string>()
  const maxTransferCount = new Map<string, number>()
  for (const row of feed.rows('fare_transfer_rules.txt', false, ['fare_transfer_type'])) {
    const file = 'fare_transfer_rules.txt'
    const fromLegGroupId = reference(file, row, 'from_leg_group_id', legGroupIds, 'leg group')
    const toLegGroupId = reference(file, row, 'to_leg_group_id', legGroupIds, 'leg group')
    const productId = reference(file, row, 'fare_product_id', products, 'fare product')
    const fareTransferType = integer(file, row, 'fare_transfer_type', 0, 2) as FareTransferType | undefined
    if (fareTransferType === undefined) throw feedInvalid(file, row.line, 'fare_transfer_type', 'required value is empty')
    let transferCount = integer(file, row, 'transfer_count', -1, Number.MAX_SAFE_INTEGER)
    const sameGroup = fromLegGroupId === toLegGroupId
    if (sameGroup && transferCount === undefined) throw feedInvalid(file, row.line, 'transfer_count', 'required when from_leg_group_id equals to_leg_group_id')
    if (!sameGroup && transferCount !== undefined) {
      feed.warn(file, row.line, 'transfer_count', 'forbidden when the leg groups differ; ignored')
      transferCount = undefined
    }
    if (transferCount === 0) throw feedInvalid(file, row.line, 'transfer_count', 'must be -1 or at least 1')
    let durationLimitSeconds = integer(file, row, 'duration_limit', 1, Number.MAX_SAFE_INTEGER)
    let durationLimitType = integer(file, row, 'duration_limit_type', 0, 3) as DurationLimitType | undefined
    if (durationLimitSeconds !== undefined && durationLimitType === undefined) throw feedInvalid(file, row.line, 'duration_limit_type', 'required when duration_limit is given')
    if (durationLimitSeconds === undefined && durationLimitType !== undefined) {
      feed.warn(file, row.line, 'duration_limit_type', 'given without duration_limit; ignored')
      durationLimitType = undefined
      durationLimitSeconds = undefined
    }
    unique(file, row, 'fare_product_id', [fromLegGroupId, toLegGroupId, productId, transferCount, durationLimitSeconds].map((v) => String(v ?? '')).join('\u0000'), transferKeys)
    if (sameGroup && transferCount !== undefined && transferCount > 0) {
      const group = fromLegGroupId ?? ''
      maxTransferCount.set(group, Math.max(maxTransferCount.get(group) ?? 0, transferCount))
    }
    transferRules.push({ index: transferRules.length, line: row.line, fromLegGroupId, toLegGroupId, transferCount, durationLimitSeconds, durationLimitType, fareTransferType, productId })
  }

  // fare_leg_join_rules.txt
  const joinRules: JoinRule[] = []
  for (const row of feed.rows('fare_leg_join_rules.txt', false, ['from_network_id', 'to_network_id'])) {
    const file = 'fare_leg_join_rules.txt'
    required(file, row, 'from_network_id')
    required(file, row, 'to_network_id')
    const fromNetworkId = reference(file, row, 'from_network_id', declaredNetworks, 'network') ?? ''
    const toNetworkId = reference(file, row, 'to_network_id', declaredNetworks, 'network') ?? ''
    const fromStopId = feed.has('stops.txt') ? reference(file, row, 'from_stop_id', stopIds, 'stop') : opt(field(row, 'from_stop_id'))
    const toStopId = feed.has('stops.txt') ? reference(file, row, 'to_stop_id', stopIds, 'stop') : opt(field(row, 'to_stop_id'))
    if ((fromStopId === undefined) !== (toStopId === undefined)) throw feedInvalid(file, row.line, fromStopId === undefined ? 'from_stop_id' : 'to_stop_id', 'from_stop_id and to_stop_id go together')
    joinRules.push({ line: row.line, fromNetworkId, toNetworkId, fromStopId, toStopId })
  }

  // fare_caps.txt (this project's extension, docs/fares.md section 4)
  const caps: Cap[] = []
  const capIds = new Set<string>()
  for (const row of feed.rows('fare_caps.txt', false, ['cap_id', 'amount', 'currency', 'period'])) {
    const file = 'fare_caps.txt'
    const capId = required(file, row, 'cap_id')
    unique(file, row, 'cap_id', capId, capIds)
    const amountText = required(file, row, 'amount')
    let amount: Decimal
    try {
      amount = parseAmount(amountText)
    } catch {
      throw feedInvalid(file, row.line, 'amount', `not a decimal amount: ${JSON.stringify(amountText)}`)
    }
    amount = withoutNegativeZero(amount)
    checkDecimalPlaces({ file, line: row.line, amount })
    if (amount.isNegative()) throw feedInvalid(file, row.line, 'amount', 'a cap cannot be negative')
    const capCurrency = required(file, row, 'currency')
    if (capCurrency !== currency) throw feedInvalid(file, row.line, 'currency', `must be the feed's currency ${currency}`)
    const periodText = required(file, row, 'period')
    let period: CapPeriod
    const durationDays = integer(file, row, 'duration_days', 1, 366)
    const weekStartText = field(row, 'week_start_day').toLowerCase()
    switch (periodText) {
      case 'day': period = { kind: 'day' }; break
      case 'month': period = { kind: 'month' }; break
      case 'week': {
        const weekStartDay = weekStartText === '' ? 0 : WEEKDAYS.indexOf(weekStartText as (typeof WEEKDAYS)[number])
        if (weekStartDay < 0) throw feedInvalid(file, row.line, 'week_start_day', `not a weekday: ${JSON.stringify(weekStartText)}`)
        period = { kind: 'week', weekStartDay }
        break
      }
      case 'rolling':
        if (durationDays === undefined) throw feedInvalid(file, row.line, 'duration_days', 'required for a rolling cap')
        period = { kind: 'rolling', durationDays }
        break
      default:
        throw feedInvalid(file, row.line, 'period', `must be day, week, month or rolling, got ${JSON.stringify(periodText)}`)
    }
    if (period.kind !== 'rolling' && durationDays !== undefined) feed.warn(file, row.line, 'duration_days', 'only used by rolling caps; ignored')
    if (period.kind !== 'week' && weekStartText !== '') feed.warn(file, row.line, 'week_start_day', 'only used by week caps; ignored')
    const dayStartText = field(row, 'day_start_time')
    const dayStartSecond = dayStartText === '' ? 0 : parseGtfsTime(dayStartText)
    if (dayStartSecond === undefined || dayStartSecond >= 86_400) throw feedInvalid(file, row.line, 'day_start_time', `not a time of day: ${JSON.stringify(dayStartText)}`)
    caps.push({
      line: row.line, capId, amount, currency: capCurrency, period, dayStartSecond,
      riderCategoryId: reference(file, row, 'rider_category_id', riderCategories, 'rider category'),
      fareMediaId: reference(file, row, 'fare_media_id', fareMedia, 'fare medium'),
      networkId: reference(file, row, 'network_id', declaredNetworks, 'network'),
    })
  }

  // Every amount within the engine's exact integer scheme (compiled.ts), in file order.
  const amounts: AmountAt[] = []
  for (const rows of products.values()) for (const row of rows) amounts.push({ file: 'fare_products.txt', line: row.line, amount: row.amount })
  amounts.sort((a, b) => a.line - b.line)
  for (const cap of caps) amounts.push({ file: 'fare_caps.txt', line: cap.line, amount: cap.amount })
  checkAmountRange(amounts)

  const listed = (pick: (rule: LegRule) => string | undefined): Set<string> =>
    new Set(legRules.map(pick).filter((id): id is string => id !== undefined))
  const listedNetworkIds = listed((r) => r.networkId)
  const tapOnOnlyNetworkIds = new Set<string>()
  for (const networkId of new Set([...declaredNetworks, ''])) {
    const usesDestination = legRules.some((rule) => {
      const matchesNetwork = rule.networkId === undefined
        ? hasRulePriority || !listedNetworkIds.has(networkId)
        : rule.networkId === networkId
      return matchesNetwork && (rule.toAreaId !== undefined || rule.toTimeframeGroupId !== undefined)
    })
    if (!usesDestination) tapOnOnlyNetworkIds.add(networkId)
  }

  return {
    currency,
    warnings: feed.warnings,
    agencies,
    defaultTimezone,
    routes,
    hasStops: feed.has('stops.txt'),
    stops,
    products,
    legRules,
    hasRulePriority,
    listedNetworkIds,
    listedFromAreaIds: listed((r) => r.fromAreaId),
    listedToAreaIds: listed((r) => r.toAreaId),
    transferRules,
    listedFromLegGroupIds: new Set(transferRules.map((r) => r.fromLegGroupId).filter((id): id is string => id !== undefined)),
    listedToLegGroupIds: new Set(transferRules.map((r) => r.toLegGroupId).filter((id): id is string => id !== undefined)),
    maxTransferCount,
    joinRules,
    timeframes,
    services: services as ReadonlyMap<string, Service>,
    riderCategories,
    defaultRiderCategoryIds,
    fareMedia,
    caps,
    tapOnOnlyNetworkIds,
  }
}
