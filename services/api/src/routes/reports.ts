/**
 * GET /v1/reports/...: the operators' and the city's reports (docs/reports.md).
 * Operators see their own operator only, admins every operator or one
 * (reports/scope.ts); each takes a half-open range of service days
 * (reports/range.ts) and answers JSON or CSV (reports/respond.ts).
 */
import { ErrorBody } from '@fare/contracts'
import type { Db } from '@fare/db'
import type { TariffBook } from '@fare/tariffs'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { type TObject, type TProperties, Type } from 'typebox'
import { type ReportContext, reportContext } from '../reports/context.ts'
import { dataQualityReport } from '../reports/data-quality.ts'
import { DATA_QUALITY_CSV_EXAMPLE, DATA_QUALITY_EXAMPLE } from '../reports/data-quality-example.ts'
import { parseReportRange, ReportQueryFields } from '../reports/range.ts'
import { RECONCILIATION_SECTIONS, type ReconciliationSection, reconciliationReport } from '../reports/reconciliation.ts'
import { RECONCILIATION_CSV_EXAMPLE, RECONCILIATION_EXAMPLE } from '../reports/reconciliation-example.ts'
import { type Report, sendReport } from '../reports/respond.ts'
import { RIDERSHIP_GROUPS, ridershipReport } from '../reports/ridership.ts'
import { operatorsAndAdmins, reportOperator } from '../reports/scope.ts'

const Cell = Type.Union([Type.String(), Type.Number(), Type.Null()])

/** Every report's JSON: the range and whose figures, then rows (and totals) keyed by the report's columns. */
function reportResponse(example: Record<string, unknown>) {
  return Type.Object(
    {
      report: Type.String(),
      from: Type.String(),
      to: Type.String(),
      timeZone: Type.String(),
      operator: Type.Union([Type.String(), Type.Null()], { description: 'the operator the figures are limited to; null: every operator' }),
      currency: Type.String(),
      rows: Type.Array(Type.Record(Type.String(), Cell)),
      totals: Type.Optional(Type.Record(Type.String(), Cell)),
    },
    { additionalProperties: true, examples: [example] },
  )
}

interface ReportRouteSpec<Extra extends TProperties> {
  readonly path: string
  readonly summary: string
  /** The report's own query fields, beside from, to, operator and format. */
  readonly query: Extra
  readonly example: Record<string, unknown>
  readonly csvExample: string
  readonly run: (ctx: ReportContext, query: { [K in keyof Extra]: unknown }) => Promise<Report>
}

export interface ReportRoutesOptions {
  readonly db: Db
  readonly tariffs: TariffBook
}

function reportRoute<Extra extends TProperties>(plugin: FastifyInstance, options: ReportRoutesOptions, spec: ReportRouteSpec<Extra>): void {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>()
  const querystring: TObject = Type.Object({ ...ReportQueryFields, ...spec.query }, { additionalProperties: false })
  app.get(
    spec.path,
    {
      onRequest: operatorsAndAdmins,
      schema: {
        summary: spec.summary,
        tags: ['reports'],
        querystring,
        response: {
          200: {
            description: 'The report: JSON, or CSV with format=csv or Accept: text/csv',
            content: {
              'application/json': { schema: reportResponse(spec.example), example: spec.example },
              'text/csv': { schema: Type.String({ examples: [spec.csvExample] }), example: spec.csvExample },
            },
          },
          '4xx': ErrorBody,
        },
      },
    },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const query = request.query as { from: string; to: string; operator?: string; format?: 'json' | 'csv' } & Record<string, unknown>
      const operator = reportOperator(request.user, query.operator)
      const range = parseReportRange(query.from, query.to)
      const ctx = await reportContext(options.db, options.tariffs, range, operator)
      return sendReport(request, reply, query.format, await spec.run(ctx, query as never))
    },
  )
}

const RIDERSHIP_EXAMPLE = {
  report: 'ridership',
  from: '2026-11-01',
  to: '2026-11-03',
  timeZone: 'Europe/Kyiv',
  operator: 'lutsk-bus',
  currency: 'UAH',
  groupBy: 'day',
  rows: [
    { day: '2026-11-01', boardings: 5120, journeys: 4630, riders: 3010 },
    { day: '2026-11-02', boardings: 5342, journeys: 4811, riders: 3122 },
  ],
  totals: { boardings: 10462, journeys: 9441, riders: 4870 },
}

export const reportRoutes: FastifyPluginAsync<ReportRoutesOptions> = async (app, options) => {
  reportRoute(app, options, {
    path: '/v1/reports/ridership',
    summary: 'Boardings, journeys and riders by day, hour, route, stop or rider category (operators: their own; admins: all)',
    query: {
      groupBy: Type.Optional(
        Type.Union(
          RIDERSHIP_GROUPS.map((g) => Type.Literal(g)),
          { description: 'default day' },
        ),
      ),
    },
    example: RIDERSHIP_EXAMPLE,
    csvExample: 'day,boardings,journeys,riders\r\n2026-11-01,5120,4630,3010\r\n2026-11-02,5342,4811,3122\r\n',
    run: (ctx, query) => ridershipReport(ctx, (query.groupBy as (typeof RIDERSHIP_GROUPS)[number] | undefined) ?? 'day'),
  })

  // Reconciliation and data quality (docs/reports.md).
  reportRoute(app, options, {
    path: '/v1/reports/reconciliation',
    summary: 'Taps received, settled and rejected, money by kind, the trial balance and device sequence gaps, with warnings',
    query: {
      section: Type.Optional(
        Type.Union(
          RECONCILIATION_SECTIONS.map((s) => Type.Literal(s)),
          { description: 'the table in rows (and the CSV): summary (default), codes, accounts or devices' },
        ),
      ),
    },
    example: RECONCILIATION_EXAMPLE,
    csvExample: RECONCILIATION_CSV_EXAMPLE,
    run: (ctx, query) => reconciliationReport(ctx, (query.section as ReconciliationSection | undefined) ?? 'summary'),
  })
  reportRoute(app, options, {
    path: '/v1/reports/data-quality',
    summary: 'Unknown routes and stops, incomplete journeys, double taps, settlement lag and late taps',
    query: {},
    example: DATA_QUALITY_EXAMPLE,
    csvExample: DATA_QUALITY_CSV_EXAMPLE,
    run: (ctx) => dataQualityReport(ctx),
  })
}
