/**
 * Admin: issue a card, change its rider category, block and unblock it,
 * replace a lost one. Each change is one Postgres transaction with its audit
 * row, and the deny list follows in it (docs/administration.md).
 */

import { type AdminCardView, blockCard, changeCategory, issueCard, replaceCard, unblockCard } from '@fare/bookkeeping'
import { CalendarDate, CardToken, CurrencyCode, ErrorBody, Identifier, Money, ReasonText } from '@fare/contracts'
import type { Db } from '@fare/db'
import { toMoney } from '@fare/money'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import { actorOf, adminOnly, answering } from '../admin.ts'

const SUBJECT_MAX_LENGTH = 128
const CARD_EXAMPLE = 'ct_7f3a9c2e51d04b8a'

const Category = {
  riderCategoryId: Identifier(),
  validFrom: Type.Optional(Type.Union([CalendarDate, Type.Null()])),
  validTo: Type.Optional(Type.Union([CalendarDate, Type.Null()])),
}

const IssueCard = Type.Object(
  {
    cardToken: CardToken,
    currency: Type.Optional(CurrencyCode),
    riderId: Type.Optional(Type.Union([Identifier(SUBJECT_MAX_LENGTH), Type.Null()])),
    fareMediaId: Type.Optional(Type.Union([Identifier(), Type.Null()])),
    ...Category,
  },
  {
    additionalProperties: false,
    examples: [{ cardToken: CARD_EXAMPLE, riderId: 'rider-olena', riderCategoryId: 'pupil', validFrom: '2026-09-01', validTo: '2027-06-30' }],
  },
)
const ChangeCategory = Type.Object(
  { ...Category, reason: Type.Optional(ReasonText) },
  {
    additionalProperties: false,
    examples: [{ riderCategoryId: 'pensioner', validFrom: '2026-12-01', validTo: null, reason: 'pension certificate shown at the office' }],
  },
)
const WithReason = Type.Object({ reason: ReasonText }, { additionalProperties: false, examples: [{ reason: 'reported stolen by the rider' }] })
const ReplaceCard = Type.Object(
  { newCardToken: CardToken, reason: ReasonText },
  { additionalProperties: false, examples: [{ newCardToken: 'ct_0c4d8e1f6a2b9e73', reason: 'lost; rider came to the office with ID' }] },
)

const NullableString = Type.Union([Type.String(), Type.Null()])
const CARD_VIEW_EXAMPLE = {
  cardToken: CARD_EXAMPLE,
  accountId: '42',
  riderId: 'rider-olena',
  riderCategoryId: 'pupil',
  categoryValidFrom: '2026-09-01',
  categoryValidTo: '2027-06-30',
  fareMediaId: null,
  status: 'active',
  denied: false,
  replacedBy: null,
  balance: { amount: '0.00', currency: 'UAH' },
  createdAt: '2026-12-02T09:00:00.000Z',
}
const CardView = Type.Object(
  {
    cardToken: Type.String(),
    accountId: Type.String(),
    riderId: NullableString,
    riderCategoryId: Type.String(),
    categoryValidFrom: NullableString,
    categoryValidTo: NullableString,
    fareMediaId: NullableString,
    status: Type.Union([Type.Literal('active'), Type.Literal('blocked')]),
    /** On the deny list validators download. */
    denied: Type.Boolean(),
    replacedBy: NullableString,
    balance: Money,
    createdAt: Type.String(),
  },
  {
    additionalProperties: false,
    examples: [CARD_VIEW_EXAMPLE],
  },
)
const ReplacementView = Type.Object(
  { old: CardView, replacement: CardView, transferId: NullableString },
  {
    additionalProperties: false,
    examples: [
      {
        old: { ...CARD_VIEW_EXAMPLE, status: 'blocked', denied: true, replacedBy: 'ct_0c4d8e1f6a2b9e73', createdAt: '2026-09-01T08:30:00.000Z' },
        replacement: {
          ...CARD_VIEW_EXAMPLE,
          cardToken: 'ct_0c4d8e1f6a2b9e73',
          accountId: '57',
          balance: { amount: '164.00', currency: 'UAH' },
          createdAt: '2026-12-02T10:05:00.000Z',
        },
        transferId: '3d6f1a2b-8c4e-4f7a-9b1d-2e5c7a9f0b34',
      },
    ],
  },
)

function view(card: AdminCardView) {
  return {
    cardToken: card.cardToken,
    accountId: card.accountId,
    riderId: card.riderId,
    riderCategoryId: card.riderCategoryId,
    categoryValidFrom: card.categoryValidFrom,
    categoryValidTo: card.categoryValidTo,
    fareMediaId: card.fareMediaId,
    status: card.status,
    denied: card.denied,
    replacedBy: card.replacedBy,
    balance: toMoney(card.balance, card.currency),
    createdAt: card.createdAt.toISOString(),
  }
}

/** The currency a card is issued in when the request names none. */
const DEFAULT_CURRENCY = 'UAH'

export const cardRoutes: FastifyPluginAsync<{ db: Db }> = async (plugin, options) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>()
  const { db } = options
  const params = Type.Object({ cardToken: CardToken }, { additionalProperties: false })
  const answers = { 200: CardView, '4xx': ErrorBody }

  app.post(
    '/v1/cards',
    {
      onRequest: adminOnly,
      schema: { summary: 'Issue a card to a rider (admin)', tags: ['cards'], body: IssueCard, response: { 201: CardView, '4xx': ErrorBody } },
    },
    async (request, reply) => {
      const { cardToken, currency, riderId, fareMediaId, riderCategoryId, validFrom, validTo } = request.body
      const card = await answering(() =>
        issueCard(db, actorOf(request), {
          cardToken,
          currency: currency ?? DEFAULT_CURRENCY,
          riderId: riderId ?? null,
          fareMediaId: fareMediaId ?? null,
          riderCategoryId,
          validFrom: validFrom ?? null,
          validTo: validTo ?? null,
        }),
      )
      return reply.status(201).send(view(card))
    },
  )

  app.put(
    '/v1/cards/:cardToken/category',
    {
      onRequest: adminOnly,
      schema: { summary: "Change a card's rider category and its validity (admin)", tags: ['cards'], params, body: ChangeCategory, response: answers },
    },
    async (request) => {
      const { riderCategoryId, validFrom, validTo, reason } = request.body
      return view(
        await answering(() =>
          changeCategory(db, actorOf(request), request.params.cardToken, {
            riderCategoryId,
            validFrom: validFrom ?? null,
            validTo: validTo ?? null,
            reason: reason ?? null,
          }),
        ),
      )
    },
  )

  app.post(
    '/v1/cards/:cardToken/block',
    {
      onRequest: adminOnly,
      schema: { summary: 'Block a card and put it on the deny list (admin; idempotent)', tags: ['cards'], params, body: WithReason, response: answers },
    },
    async (request) => view(await answering(() => blockCard(db, actorOf(request), request.params.cardToken, request.body.reason))),
  )

  app.post(
    '/v1/cards/:cardToken/unblock',
    {
      onRequest: adminOnly,
      schema: {
        summary: 'Unblock a card; it leaves the deny list if its balance allows (admin; idempotent)',
        tags: ['cards'],
        params,
        body: WithReason,
        response: answers,
      },
    },
    async (request) => view(await answering(() => unblockCard(db, actorOf(request), request.params.cardToken, request.body.reason))),
  )

  app.post(
    '/v1/cards/:cardToken/replace',
    {
      onRequest: adminOnly,
      schema: {
        summary: 'Replace a lost card: balance moved to the new card, the old one blocked (admin)',
        tags: ['cards'],
        params,
        body: ReplaceCard,
        response: { 200: ReplacementView, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const result = await answering(() => replaceCard(db, actorOf(request), request.params.cardToken, request.body))
      return { old: view(result.old), replacement: view(result.replacement), transferId: result.transferId }
    },
  )
}
