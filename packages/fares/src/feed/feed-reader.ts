/**
 * The files of one feed as CSV tables, with the checks every file shares:
 * unknown columns and extra fields are warnings, a column twice in a header,
 * a missing required file or column is FEED_INVALID. The readers in
 * readers/ take their rows from here and add their warnings here.
 */
import { feedInvalid } from '../errors.ts'
import type { FeedWarning } from '../model.ts'
import { type CsvRow, type CsvTable, parseCsv } from './csv.ts'

/** Columns the engine knows per file; others raise an "unknown column" warning. */
const KNOWN_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  'agency.txt': ['agency_id', 'agency_name', 'agency_url', 'agency_timezone', 'agency_lang', 'agency_phone', 'agency_fare_url', 'agency_email', 'cemv_support'],
  'routes.txt': [
    'route_id',
    'agency_id',
    'route_short_name',
    'route_long_name',
    'route_desc',
    'route_type',
    'route_url',
    'route_color',
    'route_text_color',
    'route_sort_order',
    'continuous_pickup',
    'continuous_drop_off',
    'network_id',
    'cemv_support',
  ],
  'stops.txt': [
    'stop_id',
    'stop_code',
    'stop_name',
    'tts_stop_name',
    'stop_desc',
    'stop_lat',
    'stop_lon',
    'zone_id',
    'stop_url',
    'location_type',
    'parent_station',
    'stop_timezone',
    'wheelchair_boarding',
    'level_id',
    'platform_code',
    'stop_access',
  ],
  'fare_products.txt': ['fare_product_id', 'fare_product_name', 'rider_category_id', 'fare_media_id', 'amount', 'currency'],
  'fare_leg_rules.txt': [
    'leg_group_id',
    'network_id',
    'from_area_id',
    'to_area_id',
    'from_timeframe_group_id',
    'to_timeframe_group_id',
    'fare_product_id',
    'rule_priority',
  ],
  'fare_transfer_rules.txt': [
    'from_leg_group_id',
    'to_leg_group_id',
    'transfer_count',
    'duration_limit',
    'duration_limit_type',
    'fare_transfer_type',
    'fare_product_id',
  ],
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
  'fare_caps.txt': [
    'cap_id',
    'amount',
    'currency',
    'period',
    'duration_days',
    'week_start_day',
    'day_start_time',
    'rider_category_id',
    'fare_media_id',
    'network_id',
  ],
}

export class FeedReader {
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
