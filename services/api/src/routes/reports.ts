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
import { CAPS_GROUPS, capsReport } from '../reports/caps.ts'
import { concessionsReport } from '../reports/concessions.ts'
import { type ReportContext, reportContext } from '../reports/context.ts'
import { dataQualityReport } from '../reports/data-quality.ts'
import { DATA_QUALITY_CSV_EXAMPLE, DATA_QUALITY_EXAMPLE } from '../reports/data-quality-example.ts'
import { operatorStatementReport } from '../reports/operator-statement.ts'
import { MonthQueryFields, monthOrRange, parseReportRange, ReportQueryFields, type ReportRange } from '../reports/range.ts'
import { RECONCILIATION_SECTIONS, type ReconciliationSection, reconciliationReport } from '../reports/reconciliation.ts'
import { RECONCILIATION_CSV_EXAMPLE, RECONCILIATION_EXAMPLE } from '../reports/reconciliation-example.ts'
import { type Report, sendReport } from '../reports/respond.ts'
import { REVENUE_GROUPS, revenueReport } from '../reports/revenue.ts'
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
  /** The range from the query; default: parseReportRange(from, to). */
  readonly range?: (query: Record<string, unknown>) => ReportRange
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
      const range = spec.range ? spec.range(query) : parseReportRange(query.from, query.to)
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

const REVENUE_EXAMPLE = {
  report: 'revenue',
  from: '2026-11-09',
  to: '2026-11-11',
  timeZone: 'Europe/Kyiv',
  operator: null,
  currency: 'UAH',
  groupBy: 'operator',
  rows: [
    {
      operator: 'lutsk-bus',
      rides: 8,
      nominalFares: '144.00',
      transferDiscounts: '0.00',
      concessionDiscounts: '9.00',
      capDiscounts: '33.00',
      riderFares: '102.00',
      lateTapAdjustments: '0.00',
      concessionCompensation: '9.00',
      revenueSplit: '-10.90',
      net: '100.10',
    },
    {
      operator: 'lutsk-trolley',
      rides: 4,
      nominalFares: '40.00',
      transferDiscounts: '20.00',
      concessionDiscounts: '15.00',
      capDiscounts: '0.00',
      riderFares: '25.00',
      lateTapAdjustments: '-10.00',
      concessionCompensation: '15.00',
      revenueSplit: '10.90',
      net: '50.90',
    },
  ],
  totals: {
    rides: 12,
    nominalFares: '184.00',
    transferDiscounts: '20.00',
    concessionDiscounts: '24.00',
    capDiscounts: '33.00',
    riderFares: '127.00',
    lateTapAdjustments: '-10.00',
    concessionCompensation: '24.00',
    revenueSplit: '0.00',
    net: '151.00',
  },
}

const CONCESSIONS_EXAMPLE = {
  report: 'concessions',
  from: '2026-11-01',
  to: '2026-12-01',
  timeZone: 'Europe/Kyiv',
  operator: null,
  currency: 'UAH',
  month: '2026-11',
  rows: [
    { operator: 'lutsk-bus', riderCategory: 'student', rides: 1, fullFareValue: '18.00', paidByRiders: '9.00', owedByCity: '9.00' },
    { operator: 'lutsk-trolley', riderCategory: 'pensioner', rides: 1, fullFareValue: '15.00', paidByRiders: '0.00', owedByCity: '15.00' },
  ],
  totals: { rides: 2, fullFareValue: '33.00', paidByRiders: '9.00', owedByCity: '24.00' },
}

const CAPS_EXAMPLE = {
  report: 'caps',
  from: '2026-11-01',
  to: '2026-12-01',
  timeZone: 'Europe/Kyiv',
  operator: null,
  currency: 'UAH',
  groupBy: 'cap',
  rows: [{ cap: 'adult-day', riders: 1, rides: 2, revenueForgone: '33.00' }],
  totals: { riders: 1, rides: 2, revenueForgone: '33.00' },
}

const OPERATOR_STATEMENT_EXAMPLE = {
  report: 'operator-statement',
  from: '2026-12-01',
  to: '2027-01-01',
  timeZone: 'Europe/Kyiv',
  operator: 'lutsk-bus',
  currency: 'UAH',
  month: '2026-12',
  accountId: '7',
  postedFrom: '2026-12-01T02:00:00.000Z',
  postedTo: '2027-01-01T02:00:00.000Z',
  rows: [
    { line: 'openingBalance', transfers: null, amount: '100.00' },
    { line: 'riderFares', transfers: 7, amount: '102.00' },
    { line: 'lateTapAdjustments', transfers: 0, amount: '0.00' },
    { line: 'revenueSplitIn', transfers: 0, amount: '0.00' },
    { line: 'revenueSplitOut', transfers: 2, amount: '-10.90' },
    { line: 'concessionCompensation', transfers: 1, amount: '9.00' },
    { line: 'manualAdjustments', transfers: 1, amount: '-1.50' },
    { line: 'other', transfers: 0, amount: '0.00' },
    { line: 'closingBalance', transfers: null, amount: '198.60' },
  ],
  totals: { openingBalance: '100.00', movements: '98.60', closingBalance: '198.60' },
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

  // Money reports (docs/reports.md): revenue, concessions, caps, operator statement.
  reportRoute(app, options, {
    path: '/v1/reports/revenue',
    summary: 'Rides, fares, discounts, late-tap adjustments, concession compensation, revenue split and net by day, route or operator',
    query: {
      groupBy: Type.Optional(
        Type.Union(
          REVENUE_GROUPS.map((g) => Type.Literal(g)),
          { description: 'default day' },
        ),
      ),
    },
    example: REVENUE_EXAMPLE,
    csvExample: [
      'operator,rides,nominalFares,transferDiscounts,concessionDiscounts,capDiscounts,riderFares,lateTapAdjustments,concessionCompensation,revenueSplit,net',
      'lutsk-bus,8,144.00,0.00,9.00,33.00,102.00,0.00,9.00,-10.90,100.10',
      'lutsk-trolley,4,40.00,20.00,15.00,0.00,25.00,-10.00,15.00,10.90,50.90',
      '',
    ].join('\r\n'),
    run: (ctx, query) => revenueReport(ctx, (query.groupBy as (typeof REVENUE_GROUPS)[number] | undefined) ?? 'day'),
  })
  reportRoute(app, options, {
    path: '/v1/reports/concessions',
    summary: "The city's concession claim: rides, full-fare value, paid by riders and owed by the city per operator and concession category",
    query: MonthQueryFields,
    range: monthOrRange,
    example: CONCESSIONS_EXAMPLE,
    csvExample: [
      'operator,riderCategory,rides,fullFareValue,paidByRiders,owedByCity',
      'lutsk-bus,student,1,18.00,9.00,9.00',
      'lutsk-trolley,pensioner,1,15.00,0.00,15.00',
      '',
    ].join('\r\n'),
    run: (ctx, query) => concessionsReport(ctx, query.month as string | undefined),
  })
  reportRoute(app, options, {
    path: '/v1/reports/caps',
    summary: 'Per fare cap (or per day and cap): riders who reached it, rides taken inside it, revenue forgone',
    query: {
      groupBy: Type.Optional(
        Type.Union(
          CAPS_GROUPS.map((g) => Type.Literal(g)),
          { description: 'default cap' },
        ),
      ),
    },
    example: CAPS_EXAMPLE,
    csvExample: 'cap,riders,rides,revenueForgone\r\nadult-day,1,2,33.00\r\n',
    run: (ctx, query) => capsReport(ctx, (query.groupBy as (typeof CAPS_GROUPS)[number] | undefined) ?? 'cap'),
  })
  reportRoute(app, options, {
    path: '/v1/reports/operator-statement',
    summary: "One operator's revenue account over a month: opening balance, the month's transfers by line, closing balance (admins: ?operator=)",
    query: MonthQueryFields,
    range: monthOrRange,
    example: OPERATOR_STATEMENT_EXAMPLE,
    csvExample: [
      'line,transfers,amount',
      'openingBalance,,100.00',
      'riderFares,7,102.00',
      'lateTapAdjustments,0,0.00',
      'revenueSplitIn,0,0.00',
      'revenueSplitOut,2,-10.90',
      'concessionCompensation,1,9.00',
      'manualAdjustments,1,-1.50',
      'other,0,0.00',
      'closingBalance,,198.60',
      '',
    ].join('\r\n'),
    run: (ctx, query) => operatorStatementReport(ctx, query.month as string | undefined),
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
