/**
 * The TIDES export as a city data team loads it: a ZIP holding a Frictionless
 * data package (datapackage.json), the two CSVs and the table schemas they
 * follow, so `frictionless validate datapackage.json` runs offline. Each CSV
 * is streamed into the archive as its rows arrive from Postgres; the
 * archive is streamed to the client as it is written. One table alone is
 * `tableCsv`, the same CSV without the archive.
 */
import { Readable } from 'node:stream'
import type { Db } from '@fare/db'
import yazl from 'yazl'
import { csvLine } from '../../csv.ts'
import { deviceRecords, type ExportScope, fareTransactionRecords } from './rows.ts'
import { columnsOf, devicesSchema, fareTransactionsSchema, type TableSchema, TIDES_PROFILE_URL, TIDES_VERSION } from './schemas.ts'

export const TIDES_TABLES = ['fare_transactions', 'devices'] as const
export type TidesTable = (typeof TIDES_TABLES)[number]

const TABLES: Readonly<Record<TidesTable, { schema: TableSchema; records: (db: Db, scope: ExportScope) => AsyncGenerator<string[]> }>> = {
  fare_transactions: { schema: fareTransactionsSchema, records: fareTransactionRecords },
  devices: { schema: devicesSchema, records: deviceRecords },
}

/** Lines are gathered into chunks of about this many characters: one stream chunk per row would cost more than the row. */
const CHUNK_CHARS = 64 * 1024

async function* csvChunks(schema: TableSchema, records: AsyncIterable<readonly string[]>): AsyncGenerator<string> {
  let chunk = csvLine(columnsOf(schema))
  for await (const record of records) {
    chunk += csvLine(record)
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk
      chunk = ''
    }
  }
  if (chunk !== '') yield chunk
}

/** One table's CSV (header row first), read from Postgres as the client reads it. */
export function tableCsv(db: Db, scope: ExportScope, table: TidesTable): Readable {
  const { schema, records } = TABLES[table]
  return Readable.from(csvChunks(schema, records(db, scope)))
}

const schemaPath = (table: TidesTable) => `schemas/${table}.schema.json`

/** The data package descriptor: TIDES's profile, one tabular resource per CSV, each naming its schema file in the archive. */
export function dataPackage(scope: ExportScope, createdAt: Date): object {
  const whose = scope.operator === undefined ? 'all operators' : `operator ${scope.operator}`
  return {
    name: `tides-${scope.operator ?? 'all'}-${scope.range.from}-${scope.range.to}`.toLowerCase(),
    title: `TIDES fare transactions, ${whose}, service days ${scope.range.from} to ${scope.range.to} (exclusive)`,
    profile: TIDES_PROFILE_URL,
    tides_version: TIDES_VERSION,
    created: createdAt.toISOString(),
    resources: TIDES_TABLES.map((table) => ({
      name: table,
      profile: 'tabular-data-resource',
      path: `${table}.csv`,
      format: 'csv',
      mediatype: 'text/csv',
      encoding: 'utf-8',
      schema: schemaPath(table),
      sources: [{ title: 'Cashless fare system: validator taps as rated by the fare ledger', component: 'AFC' }],
    })),
  }
}

/**
 * The whole export as a streamed ZIP. The tables' queries run one after the
 * other, each when the archive reaches it; if the client goes away, the
 * table being read is destroyed, which closes its cursor.
 */
export function tidesZip(db: Db, scope: ExportScope, createdAt: Date): Readable {
  const zip = new yazl.ZipFile()
  const options = { mtime: createdAt }
  const tables = TIDES_TABLES.map((table) => ({ table, stream: tableCsv(db, scope, table) }))
  zip.addBuffer(Buffer.from(`${JSON.stringify(dataPackage(scope, createdAt), null, 2)}\n`), 'datapackage.json', options)
  for (const { table, stream } of tables) zip.addReadStream(stream, `${table}.csv`, options)
  for (const table of TIDES_TABLES) zip.addBuffer(Buffer.from(`${JSON.stringify(TABLES[table].schema, null, 2)}\n`), schemaPath(table), options)
  zip.end()
  const output = zip.outputStream as Readable
  // A query failing mid-archive cannot change the status any more: the archive is cut short and the connection dropped.
  zip.on('error', (err: Error) => output.destroy(err))
  output.on('close', () => {
    for (const { stream } of tables) stream.destroy()
  })
  return output
}
