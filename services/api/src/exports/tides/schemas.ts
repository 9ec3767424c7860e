/**
 * Our Frictionless table schemas of the two TIDES tables we export, read
 * from the JSON files beside this one (which ship in the export's ZIP, so a
 * consumer validates the CSVs offline). README.md says which TIDES release
 * they follow and where we read it.
 */
import devicesJson from './devices.schema.json' with { type: 'json' }
import fareTransactionsJson from './fare-transactions.schema.json' with { type: 'json' }

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

export const fareTransactionsSchema = fareTransactionsJson as TableSchema
export const devicesSchema = devicesJson as TableSchema

/** The CSV header of a table: its fields in the schema's order. */
export function columnsOf(schema: TableSchema): readonly string[] {
  return schema.fields.map((f) => f.name)
}
