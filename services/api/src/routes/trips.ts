/**
 * GET /v1/cards/{cardToken}/trips?from&to&limit&cursor: the card's journeys,
 * newest first, for its rider or an admin (riders/visibility.ts). `from` and
 * `to` are days in the agency's time zone, both included (default: the last
 * 30 days); pages follow `cursor` while `hasMore`.
 */

import { authenticate } from '@fare/auth'
import { ErrorBody, Money } from '@fare/contracts'
import type { Db } from '@fare/db'
import { toMoney } from '@fare/money'
import { type TariffBook, timeZoneAt } from '@fare/tariffs'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import { CursorInvalid, DateRangeInvalid } from '../errors.ts'
import { decodeCursor, encodeCursor } from '../riders/cursor.ts'
import { type JourneyView, journeyPage } from '../riders/journeys.ts'
import { dayStartMs, formatDay, parseDay, today } from '../riders/local-days.ts'
import { loadRatedCard } from '../riders/recorded-rating.ts'
import { visibleCard } from '../riders/visibility.ts'
import { CardParams } from './card-params.ts'
import { TRIPS_EXAMPLE } from './trips-example.ts'

/** Days a trips query may span (a year and a day: any calendar year, leap or not). */
const MAX_DAYS = 366
const DEFAULT_DAYS = 30
const DEFAULT_LIMIT = 20

const Day = Type.String({ minLength: 10, maxLength: 10, pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: "YYYY-MM-DD, a day in the agency's time zone" })

const TripsQuery = Type.Object(
  {
    from: Type.Optional(Day),
    to: Type.Optional(Day),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_LIMIT })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 400, pattern: '^[A-Za-z0-9_-]+$', description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false, examples: [{ from: '2026-11-01', to: '2026-11-30', limit: 20 }] },
)

const Leg = Type.Object(
  {
    routeId: Type.String(),
    operatorId: Type.String(),
    fromStopId: Type.Union([Type.String(), Type.Null()]),
    toStopId: Type.Union([Type.String(), Type.Null()]),
    boardedAt: Type.String(),
    alightedAt: Type.Union([Type.String(), Type.Null()]),
    complete: Type.Boolean({ description: 'false: no exit tap, charged the highest fare' }),
    tapIds: Type.Array(Type.String()),
  },
  { additionalProperties: false },
)

const Adjustment = Type.Object(
  {
    change: { ...Money, description: 'positive: the rider paid more; negative: money back' },
    reason: Type.String({ description: 'late_tap, exit_completed, tariff_correction' }),
    postedAt: Type.String(),
    explanation: Type.String(),
  },
  { additionalProperties: false },
)

const TapCharge = Type.Object(
  {
    tapId: Type.String(),
    kind: Type.Union([Type.Literal('entry'), Type.Literal('exit')]),
    tappedAt: Type.String(),
    routeId: Type.String(),
    stopId: Type.Union([Type.String(), Type.Null()]),
    charged: { ...Money, description: 'what this tap costs now: chargedAtTap plus every adjustment' },
    chargedAtTap: Money,
    flags: Type.Array(Type.String()),
    summary: Type.String({ description: "the fare engine's one-line sentence" }),
    explanation: Type.String({ description: 'the charge in plain words: fare, transfer, cap, incomplete ride' }),
    cap: Type.Union([Type.Object({ capId: Type.String(), saved: Money }, { additionalProperties: false }), Type.Null()]),
    adjustments: Type.Array(Adjustment),
  },
  { additionalProperties: false },
)

const Journey = Type.Object(
  { journeyId: Type.String(), startedAt: Type.String(), total: Money, legs: Type.Array(Leg), taps: Type.Array(TapCharge) },
  { additionalProperties: false },
)

const TripsResponse = Type.Object(
  {
    cardToken: Type.String(),
    timeZone: Type.String(),
    from: Type.String(),
    to: Type.String(),
    journeys: Type.Array(Journey),
    hasMore: Type.Boolean(),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false, examples: [TRIPS_EXAMPLE] },
)

function journeyJson(j: JourneyView, currency: string) {
  return {
    journeyId: j.journeyId,
    startedAt: j.startedAt,
    total: toMoney(j.total, currency),
    legs: j.legs,
    taps: j.taps.map((t) => ({
      ...t,
      charged: toMoney(t.charged, currency),
      chargedAtTap: toMoney(t.chargedAtTap, currency),
      cap: t.cap ? { capId: t.cap.capId, saved: toMoney(t.cap.saved, currency) } : null,
      adjustments: t.adjustments.map((a) => ({ ...a, change: toMoney(a.change, currency) })),
    })),
  }
}

export const tripRoutes: FastifyPluginAsync<{ db: Db; now: () => Date; tariffs: TariffBook }> = async (plugin, options) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>()
  app.get(
    '/v1/cards/:cardToken/trips',
    {
      onRequest: authenticate(),
      schema: {
        summary: "A card's journeys, newest first, with every charge explained (its rider or an admin)",
        tags: ['riders'],
        params: CardParams,
        querystring: TripsQuery,
        response: { 200: TripsResponse, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const card = await visibleCard(options.db, request.params.cardToken, request.user, 'history')
      const { from, to, limit = DEFAULT_LIMIT, cursor } = request.query
      const after = cursor === undefined ? undefined : decodeCursor(cursor)
      if (cursor !== undefined && !after) throw new CursorInvalid()
      await options.tariffs.refresh(options.db)
      const now = options.now()
      const zone = timeZoneAt(options.tariffs, now.getTime())
      const toDay = to === undefined ? today(zone, now) : parseDay(to)
      const fromDay = from === undefined ? (toDay === undefined ? undefined : toDay - (DEFAULT_DAYS - 1)) : parseDay(from)
      if (fromDay === undefined || toDay === undefined) throw new DateRangeInvalid('from and to must be real dates (YYYY-MM-DD)')
      if (fromDay > toDay) throw new DateRangeInvalid('from is after to')
      if (toDay - fromDay + 1 > MAX_DAYS) throw new DateRangeInvalid(`at most ${MAX_DAYS} days at a time`)
      const rated = await loadRatedCard(options.db, card.cardToken)
      const page = rated
        ? await journeyPage(options.db, options.tariffs, card, rated, {
            timeZone: zone,
            fromMs: dayStartMs(zone, fromDay),
            toMs: dayStartMs(zone, toDay + 1),
            limit,
            after,
          })
        : { timeZone: zone, journeys: [], next: undefined }
      return {
        cardToken: card.cardToken,
        timeZone: page.timeZone,
        from: formatDay(fromDay),
        to: formatDay(toDay),
        journeys: page.journeys.map((j) => journeyJson(j, card.currency)),
        hasMore: page.next !== undefined,
        nextCursor: page.next ? encodeCursor(page.next) : null,
      }
    },
  )
}
