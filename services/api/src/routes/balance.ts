/**
 * GET /v1/cards/{cardToken}/balance, for the rider who owns the card, an
 * admin, or a kiosk device (scope balance:read); anyone else gets the same
 * 404 as for an unknown card (riders/visibility.ts). With the balance, every
 * fare cap that applies to the card's rider category now: its current window
 * in the agency's time, what was spent in it and what remains.
 */

import { authenticate } from '@fare/auth'
import { ErrorBody, Money } from '@fare/contracts'
import type { Db } from '@fare/db'
import { toMoney } from '@fare/money'
import type { TariffBook } from '@fare/tariffs'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import { capsNow } from '../riders/caps.ts'
import { loadRatedCard } from '../riders/recorded-rating.ts'
import { visibleCard } from '../riders/visibility.ts'
import { CardParams } from './card-params.ts'

const CapView = Type.Object(
  {
    capId: Type.String(),
    period: Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month'), Type.Literal('rolling')]),
    window: Type.Object(
      { start: Type.String(), end: Type.String() },
      { additionalProperties: false, description: "[start, end) in the agency's local time, with its UTC offset" },
    ),
    spent: Money,
    cap: Money,
    remaining: Money,
  },
  { additionalProperties: false },
)

const BalanceResponse = Type.Object(
  {
    cardToken: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('denied'), Type.Literal('blocked')]),
    balance: Money,
    riderCategory: Type.String(),
    timeZone: Type.Union([Type.String(), Type.Null()], { description: "The agency's time zone (the tariff in force); null before any tariff" }),
    caps: Type.Array(CapView),
    asOf: Type.String(),
  },
  {
    additionalProperties: false,
    examples: [
      {
        cardToken: 'ct_demo_adult_0001',
        status: 'active',
        balance: { amount: '164.00', currency: 'UAH' },
        riderCategory: 'adult',
        timeZone: 'Europe/Kyiv',
        caps: [
          {
            capId: 'adult-day',
            period: 'day',
            window: { start: '2026-11-03T04:00:00+02:00', end: '2026-11-04T04:00:00+02:00' },
            spent: { amount: '36.00', currency: 'UAH' },
            cap: { amount: '54.00', currency: 'UAH' },
            remaining: { amount: '18.00', currency: 'UAH' },
          },
          {
            capId: 'adult-month',
            period: 'month',
            window: { start: '2026-11-01T04:00:00+02:00', end: '2026-12-01T04:00:00+02:00' },
            spent: { amount: '36.00', currency: 'UAH' },
            cap: { amount: '900.00', currency: 'UAH' },
            remaining: { amount: '864.00', currency: 'UAH' },
          },
        ],
        asOf: '2026-11-03T09:15:00.000Z',
      },
    ],
  },
)

export const balanceRoutes: FastifyPluginAsync<{ db: Db; now: () => Date; tariffs: TariffBook }> = async (plugin, options) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>()
  app.get(
    '/v1/cards/:cardToken/balance',
    {
      onRequest: authenticate(),
      schema: {
        summary: "A card's balance and what is left of each fare cap (its rider, an admin, or a kiosk)",
        tags: ['riders'],
        params: CardParams,
        response: { 200: BalanceResponse, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const card = await visibleCard(options.db, request.params.cardToken, request.user, 'balance')
      const rated = await loadRatedCard(options.db, card.cardToken)
      const now = options.now()
      await options.tariffs.refresh(options.db)
      const { timeZone, caps } = rated ? await capsNow(options.db, options.tariffs, rated, now) : { timeZone: undefined, caps: [] }
      return {
        cardToken: card.cardToken,
        status: card.status,
        balance: toMoney(card.balance, card.currency),
        riderCategory: card.riderCategoryId,
        timeZone: timeZone ?? null,
        caps: caps.map((c) => ({
          capId: c.capId,
          period: c.period,
          window: c.window,
          spent: toMoney(c.spent, card.currency),
          cap: toMoney(c.cap, card.currency),
          remaining: toMoney(c.remaining, card.currency),
        })),
        asOf: now.toISOString(),
      }
    },
  )
}
