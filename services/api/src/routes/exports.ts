/**
 * GET /v1/exports/tides?from&to: the fare transactions and devices of a range
 * of service days as TIDES (docs/reports.md, "TIDES export"). By default a
 * ZIP data package (datapackage.json, fare_transactions.csv, devices.csv and
 * their table schemas), which a city data team validates and loads as it is;
 * `?table=fare_transactions` (or `devices`) streams that one CSV alone, for a
 * loader that wants no archive. Operators get their own operator's rows,
 * admins every operator's or one's (`?operator=`); reports/scope.ts.
 */
import { ErrorBody } from '@fare/contracts'
import type { Db } from '@fare/db'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { Type } from 'typebox'
import { TIDES_TABLES, tableCsv, tidesZip } from '../exports/tides/package.ts'
import { parseReportRange, ReportQueryFields } from '../reports/range.ts'
import { operatorsAndAdmins, reportOperator } from '../reports/scope.ts'

const TidesQuery = Type.Object(
  {
    from: ReportQueryFields.from,
    to: ReportQueryFields.to,
    operator: ReportQueryFields.operator,
    table: Type.Optional(
      Type.Union(
        TIDES_TABLES.map((t) => Type.Literal(t)),
        { description: 'one table as CSV instead of the ZIP data package' },
      ),
    ),
  },
  {
    additionalProperties: false,
    examples: [
      { from: '2026-11-01', to: '2026-12-01' },
      { from: '2026-11-01', to: '2026-12-01', table: 'fare_transactions' },
    ],
  },
)

const ZIP_EXAMPLE = '(a ZIP archive: datapackage.json, fare_transactions.csv, devices.csv, schemas/fare_transactions.schema.json, schemas/devices.schema.json)'

const CSV_EXAMPLE = [
  'transaction_id,service_date,event_timestamp,location_ping_id,amount,currency_type,fare_action,trip_id_performed,trip_id_scheduled,pattern_id,' +
    'trip_stop_sequence,scheduled_stop_sequence,vehicle_id,device_id,fare_id,stop_id,num_riders,fare_media_id,rider_category,fare_product,' +
    'fare_period,fare_capped,token_id,balance',
  '019a4b1e-7c00-7000-8000-000000000001,2026-11-10,2026-11-10T05:10:00Z,,18.00,UAH,Enter,,,,,,bus-0417,val-bus-0012,,S1,,,adult,,,false,,',
  '019a4b42-d400-7000-8000-000000000002,2026-11-10,2026-11-10T05:50:00Z,,5.00,UAH,Transfer entrance,,,,,,trolley-031,val-trol-0003,,S2,,,adult,,,false,,',
  '019a4c8f-1a00-7000-8000-000000000003,2026-11-10,2026-11-10T16:30:00Z,,0.00,UAH,Enter,,,,,,bus-0417,val-bus-0012,,S5,,,adult,,,true,,',
  '',
].join('\r\n')

export const exportRoutes: FastifyPluginAsync<{ db: Db; now: () => Date }> = async (plugin, options) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>()
  app.get(
    '/v1/exports/tides',
    {
      onRequest: operatorsAndAdmins,
      schema: {
        summary: "Fare transactions and devices as a TIDES data package (operators: their own operator's; admins: all, or ?operator=)",
        tags: ['reports'],
        querystring: TidesQuery,
        response: {
          200: {
            description: 'The ZIP data package, streamed; with ?table=, that CSV alone',
            content: {
              'application/zip': { schema: Type.String({ examples: [ZIP_EXAMPLE] }), example: ZIP_EXAMPLE },
              'text/csv': { schema: Type.String({ examples: [CSV_EXAMPLE] }), example: CSV_EXAMPLE },
            },
          },
          '4xx': ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const range = parseReportRange(request.query.from, request.query.to)
      const operator = reportOperator(request.user, request.query.operator)
      const scope = { range, operator }
      const base = `tides-${operator ?? 'all'}-${range.from}-${range.to}`
      const { table } = request.query
      // A stream is sent as it is; the typed reply knows only the schema's string and error bodies.
      const streaming: FastifyReply = reply
      if (table !== undefined) {
        return streaming
          .type('text/csv; charset=utf-8; header=present')
          .header('content-disposition', `attachment; filename="${base}-${table}.csv"`)
          .send(tableCsv(options.db, scope, table))
      }
      return streaming
        .type('application/zip')
        .header('content-disposition', `attachment; filename="${base}.zip"`)
        .send(tidesZip(options.db, scope, options.now()))
    },
  )
}
