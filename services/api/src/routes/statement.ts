/**
 * GET /v1/cards/{cardToken}/statement?month=YYYY-MM: the card's monthly
 * statement for its rider or an admin (riders/visibility.ts), as JSON or CSV:
 * `format=csv`, or an Accept header preferring text/csv. Opening balance,
 * every top-up, fare, adjustment and refund posted that month, closing
 * balance; closing = opening + the lines (riders/statement.ts).
 */

import { authenticate } from '@fare/auth'
import { ErrorBody, Money } from '@fare/contracts'
import type { Db } from '@fare/db'
import { civilOf } from '@fare/fares'
import { toMoney } from '@fare/money'
import { type TariffBook, timeZoneAt } from '@fare/tariffs'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import { wantsCsv } from '../content.ts'
import { toCsv } from '../csv.ts'
import { today } from '../riders/local-days.ts'
import { monthlyStatement, type Statement } from '../riders/statement.ts'
import { visibleCard } from '../riders/visibility.ts'
import { CardParams } from './card-params.ts'

const StatementQuery = Type.Object(
  {
    month: Type.Optional(
      Type.String({ minLength: 7, maxLength: 7, pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: "YYYY-MM in the agency's time zone (default: this month)" }),
    ),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: 'overrides the Accept header' })),
  },
  { additionalProperties: false, examples: [{ month: '2026-11' }, { month: '2026-11', format: 'csv' }] },
)

const Line = Type.Object(
  {
    transferId: Type.String(),
    postedAt: Type.String(),
    kind: Type.String({ description: 'top_up, fare, fare_adjustment, refund, manual_adjustment' }),
    reason: Type.Union([Type.String(), Type.Null()]),
    description: Type.String(),
    amount: { ...Money, description: 'money in positive, money out negative' },
    balance: { ...Money, description: 'the balance after this line' },
    ride: Type.Union([
      Type.Object(
        { tapId: Type.String(), tappedAt: Type.String(), routeId: Type.String(), stopId: Type.Union([Type.String(), Type.Null()]) },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
  },
  { additionalProperties: false },
)

const STATEMENT_EXAMPLE = {
  cardToken: 'ct_demo_adult_0001',
  month: '2026-11',
  timeZone: 'Europe/Kyiv',
  from: '2026-11-01T00:00:00+02:00',
  to: '2026-12-01T00:00:00+02:00',
  opening: { amount: '40.00', currency: 'UAH' },
  closing: { amount: '117.00', currency: 'UAH' },
  lines: [
    {
      transferId: '0b7d3c0e-2f4e-4c55-9a7e-0d8c2b9f4a11',
      postedAt: '2026-11-03T07:55:12+02:00',
      kind: 'top_up',
      reason: null,
      description: 'Top-up',
      amount: { amount: '100.00', currency: 'UAH' },
      balance: { amount: '140.00', currency: 'UAH' },
      ride: null,
    },
    {
      transferId: '5f0c9a51-8d3b-4f0e-b0a4-7c6e1d2a3b44',
      postedAt: '2026-11-03T08:00:01+02:00',
      kind: 'fare',
      reason: 'new_tap',
      description: 'Fare, route bus-10',
      amount: { amount: '-18.00', currency: 'UAH' },
      balance: { amount: '122.00', currency: 'UAH' },
      ride: { tapId: '019a4b1e-7c00-7000-8000-000000000001', tappedAt: '2026-11-03T08:00:00+02:00', routeId: 'bus-10', stopId: 'S1' },
    },
    {
      transferId: '9e2a7b33-1c4d-4e5f-8a6b-2d3c4e5f6a77',
      postedAt: '2026-11-03T08:40:02+02:00',
      kind: 'fare',
      reason: 'new_tap',
      description: 'Fare, route trolley-1',
      amount: { amount: '-5.00', currency: 'UAH' },
      balance: { amount: '117.00', currency: 'UAH' },
      ride: { tapId: '019a4b42-d400-7000-8000-000000000002', tappedAt: '2026-11-03T08:40:00+02:00', routeId: 'trolley-1', stopId: 'S2' },
    },
  ],
}

const StatementResponse = Type.Object(
  {
    cardToken: Type.String(),
    month: Type.String(),
    timeZone: Type.String(),
    from: Type.String(),
    to: Type.String(),
    opening: Money,
    closing: Money,
    lines: Type.Array(Line),
  },
  {
    additionalProperties: false,
    examples: [STATEMENT_EXAMPLE],
  },
)

const CSV_EXAMPLE = [
  'posted_at,type,description,ride_time,route,stop,amount,balance,currency,transfer_id,tap_id',
  '2026-11-01T00:00:00+02:00,opening_balance,Balance at the start of 2026-11,,,,,40.00,UAH,,',
  '2026-11-03T07:55:12+02:00,top_up,Top-up,,,,100.00,140.00,UAH,0b7d3c0e-2f4e-4c55-9a7e-0d8c2b9f4a11,',
  '2026-11-03T08:00:01+02:00,fare,"Fare, route bus-10",2026-11-03T08:00:00+02:00,bus-10,S1,-18.00,122.00,UAH,' +
    '5f0c9a51-8d3b-4f0e-b0a4-7c6e1d2a3b44,019a4b1e-7c00-7000-8000-000000000001',
  '2026-11-03T08:40:02+02:00,fare,"Fare, route trolley-1",2026-11-03T08:40:00+02:00,trolley-1,S2,-5.00,117.00,UAH,' +
    '9e2a7b33-1c4d-4e5f-8a6b-2d3c4e5f6a77,019a4b42-d400-7000-8000-000000000002',
  '2026-12-01T00:00:00+02:00,closing_balance,Balance at the end of 2026-11,,,,,117.00,UAH,,',
  '',
].join('\r\n')

const CSV_HEADER = ['posted_at', 'type', 'description', 'ride_time', 'route', 'stop', 'amount', 'balance', 'currency', 'transfer_id', 'tap_id'] as const

function statementCsv(s: Statement, currency: string): string {
  const rows: string[][] = [[s.from, 'opening_balance', `Balance at the start of ${s.month}`, '', '', '', '', s.opening.toFixed(2), currency, '', '']]
  for (const line of s.lines) {
    rows.push([
      line.postedAt,
      line.kind,
      line.description,
      line.ride?.tappedAt ?? '',
      line.ride?.routeId ?? '',
      line.ride?.stopId ?? '',
      line.amount.toFixed(2),
      line.balance.toFixed(2),
      currency,
      line.transferId,
      line.ride?.tapId ?? '',
    ])
  }
  rows.push([s.to, 'closing_balance', `Balance at the end of ${s.month}`, '', '', '', '', s.closing.toFixed(2), currency, '', ''])
  return toCsv(CSV_HEADER, rows)
}

export const statementRoutes: FastifyPluginAsync<{ db: Db; now: () => Date; tariffs: TariffBook }> = async (plugin, options) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>()
  app.get(
    '/v1/cards/:cardToken/statement',
    {
      onRequest: authenticate(),
      schema: {
        summary: "A card's monthly statement as JSON or CSV (its rider or an admin)",
        tags: ['riders'],
        params: CardParams,
        querystring: StatementQuery,
        response: {
          200: {
            description: 'The statement: JSON, or CSV with format=csv or Accept: text/csv',
            // With one schema per media type, /docs takes each example from the media type itself.
            content: {
              'application/json': { schema: StatementResponse, example: STATEMENT_EXAMPLE },
              'text/csv': { schema: Type.String({ examples: [CSV_EXAMPLE] }), example: CSV_EXAMPLE },
            },
          },
          '4xx': ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const card = await visibleCard(options.db, request.params.cardToken, request.user, 'history')
      const csv = wantsCsv(request, request.query.format)
      await options.tariffs.refresh(options.db)
      const zone = timeZoneAt(options.tariffs, options.now().getTime())
      const { year, month } = civilOf(today(zone, options.now()))
      const statement = await monthlyStatement(options.db, options.tariffs, card.accountId, request.query.month ?? `${year}-${String(month).padStart(2, '0')}`)
      reply.header('vary', 'Accept')
      if (csv) {
        // Not JSON: Fastify sends a string of another content type as it is, unserialized.
        return reply
          .type('text/csv; charset=utf-8; header=present')
          .header('content-disposition', `attachment; filename="statement-${statement.month}.csv"`)
          .send(statementCsv(statement, card.currency))
      }
      const money = (amount: Statement['opening']) => toMoney(amount, card.currency)
      return {
        cardToken: card.cardToken,
        month: statement.month,
        timeZone: statement.timeZone,
        from: statement.from,
        to: statement.to,
        opening: money(statement.opening),
        closing: money(statement.closing),
        lines: statement.lines.map((l) => ({ ...l, amount: money(l.amount), balance: money(l.balance) })),
      }
    },
  )
}
