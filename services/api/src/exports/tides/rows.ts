/**
 * The rows of the two TIDES tables, read from Postgres through a server-side
 * cursor (Kysely's stream over pg-cursor), so a month of millions of taps is
 * exported in flat memory. Whose rows: `operator` filters in the SQL itself
 * (reports/scope.ts decides it from the token); undefined is every operator.
 *
 * fare_transactions reads `tap_charges`, the ledger's current view of each
 * rated tap (what the rider pays now, after re-rating), joined with `taps`
 * for the vehicle. Refused taps (`rejected_taps`) were never fare
 * transactions and are not exported.
 */
import type { Db } from '@fare/db'
import { sql } from 'kysely'
import type { ReportRange } from '../../reports/range.ts'
import { columnsOf, devicesSchema, fareTransactionsSchema } from './schemas.ts'

export interface ExportScope {
  readonly range: ReportRange
  /** Only this operator's rows; undefined: every operator's (admins). */
  readonly operator: string | undefined
}

/** Rows fetched per round trip from the cursor: large enough that the round trips do not dominate. */
const CURSOR_ROWS = 5_000

export type FareAction = 'Enter' | 'Exit' | 'Transfer entrance' | 'Other'

export interface TapFacts {
  readonly tapId: string
  readonly tapKind: string
  /** The engine's explanation kind: fare, joined, incomplete, group, exit, unmatched_exit, double_tap. */
  readonly chargeKind: string
  /** The journey's id is its first leg's entry tap id (@fare/fares journeys.ts). */
  readonly journeyId: string | null
}

/**
 * TIDES fare_action of a tap. An entry that continues a journey begun by an
 * earlier tap is a transfer; a double tap is not a boarding, so it is
 * "Other" rather than a second "Enter" a ridership count would include.
 */
export function fareActionOf(tap: TapFacts): FareAction {
  if (tap.tapKind === 'exit') return 'Exit'
  if (tap.chargeKind === 'double_tap') return 'Other'
  if (tap.journeyId !== null && tap.journeyId !== tap.tapId) return 'Transfer entrance'
  return 'Enter'
}

/**
 * Writes records in a schema's column order, by column name: each column we
 * fill is looked up once, not per row, and every other column stays empty
 * (a missing value). Positional, because a month's export builds millions.
 */
function recordWriter<Name extends string>(columns: readonly string[], filled: readonly Name[]): (values: Readonly<Record<Name, string | null>>) => string[] {
  const positions = filled.map((name) => {
    const at = columns.indexOf(name)
    if (at < 0) throw new Error(`internal: the schema has no column ${name}`)
    return at
  })
  return (values) => {
    const record = new Array<string>(columns.length).fill('')
    for (let i = 0; i < filled.length; i++) record[positions[i] as number] = values[filled[i] as Name] ?? ''
    return record
  }
}

const FARE_TRANSACTION_FIELDS = [
  'transaction_id',
  'service_date',
  'event_timestamp',
  'amount',
  'currency_type',
  'fare_action',
  'vehicle_id',
  'device_id',
  'stop_id',
  'rider_category',
  'fare_capped',
] as const
const fareTransactionRecord = recordWriter(columnsOf(fareTransactionsSchema), FARE_TRANSACTION_FIELDS)
const deviceRecord = recordWriter(columnsOf(devicesSchema), ['device_id', 'device_type'] as const)

export async function* fareTransactionRecords(db: Db, scope: ExportScope): AsyncGenerator<string[]> {
  let query = db
    .selectFrom('tap_charges as c')
    .innerJoin('taps as t', 't.tap_id', 'c.tap_id')
    .select([
      'c.tap_id',
      'c.service_day',
      // Table Schema's datetime (its default format): UTC, whole seconds, formatted by Postgres, not per row in JS.
      sql<string>`to_char(c.tapped_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`.as('event_timestamp'),
      'c.amount',
      'c.currency',
      'c.tap_kind',
      'c.charge_kind',
      'c.journey_id',
      't.vehicle_id',
      'c.device_id',
      'c.stop_id',
      'c.rider_category_id',
      sql<boolean>`c.capped_by is not null`.as('fare_capped'),
    ])
    .where('c.service_day', '>=', scope.range.from)
    .where('c.service_day', '<', scope.range.to)
  if (scope.operator !== undefined) query = query.where('c.operator_id', '=', scope.operator)
  const ordered = query.orderBy('c.service_day').orderBy('c.tapped_at').orderBy('c.tap_id')
  for await (const row of ordered.stream(CURSOR_ROWS)) {
    yield fareTransactionRecord({
      transaction_id: row.tap_id,
      service_date: row.service_day,
      event_timestamp: row.event_timestamp,
      amount: row.amount,
      currency_type: row.currency,
      fare_action: fareActionOf({ tapId: row.tap_id, tapKind: row.tap_kind, chargeKind: row.charge_kind, journeyId: row.journey_id }),
      vehicle_id: row.vehicle_id,
      device_id: row.device_id,
      stop_id: row.stop_id,
      rider_category: row.rider_category_id,
      fare_capped: row.fare_capped ? 'true' : 'false',
    })
  }
}

/**
 * The devices the fare transactions name, so each device_id resolves: all of
 * the operator's validators, and any other operator's validator that recorded
 * a tap charged to this operator (a multi-operator journey's leg).
 */
export async function* deviceRecords(db: Db, scope: ExportScope): AsyncGenerator<string[]> {
  const { operator } = scope
  let query = db.selectFrom('devices as d').select(['d.id'])
  if (operator !== undefined) {
    query = query.where((eb) =>
      eb.or([
        eb('d.operator_id', '=', operator),
        eb(
          'd.id',
          'in',
          eb
            .selectFrom('tap_charges as c')
            .select('c.device_id')
            .where('c.operator_id', '=', operator)
            .where('c.service_day', '>=', scope.range.from)
            .where('c.service_day', '<', scope.range.to),
        ),
      ]),
    )
  }
  for await (const row of query.orderBy('d.id').stream(CURSOR_ROWS)) {
    // Every device we register is a fare validator; where it is mounted is not recorded.
    yield deviceRecord({ device_id: row.id, device_type: 'AFC' })
  }
}
