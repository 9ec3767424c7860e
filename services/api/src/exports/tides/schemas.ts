/**
 * Our Frictionless table schemas of the two TIDES tables we export
 * (fare-transactions.schema.ts, devices.schema.ts), which ship in the export's
 * ZIP as JSON, so a consumer validates the CSVs offline. README.md says which
 * TIDES release they follow and where we read it. TypeScript, not JSON files:
 * every way the code is loaded (tsx, the tests' esbuild, the bundle) reads it.
 */

/** The Table Schema field types our tables use, and the other simple ones a validator should know. */
export type FieldType = 'string' | 'integer' | 'number' | 'boolean' | 'date' | 'time' | 'datetime' | 'duration'

export interface FieldConstraints {
  readonly required?: boolean
  readonly unique?: boolean
  readonly enum?: readonly string[]
  readonly minimum?: number
  readonly maximum?: number
}

export interface TableField {
  readonly name: string
  readonly type: FieldType
  readonly description?: string
  readonly constraints?: FieldConstraints
}

export interface TableSchema {
  /** The TIDES table name, also the resource name and the CSV's base name. */
  readonly name: string
  readonly title: string
  readonly description: string
  readonly primaryKey: string
  readonly missingValues: readonly string[]
  readonly fields: readonly TableField[]
}

export const TIDES_VERSION = '1.0'
/** The TIDES data package profile of that release, as its own template names it. */
export const TIDES_PROFILE_URL = 'https://raw.githubusercontent.com/TIDES-transit/TIDES/v1.0/spec/tides-datapackage-profile.json'

export { devicesSchema } from './devices.schema.ts'
export { fareTransactionsSchema } from './fare-transactions.schema.ts'

/** The CSV header of a table: its fields in the schema's order. */
export function columnsOf(schema: TableSchema): readonly string[] {
  return schema.fields.map((f) => f.name)
}
