/**
 * GET /v1/cards/{cardToken}/balance, for the rider who owns the card, an
 * admin, or a kiosk device (scope balance:read). Anyone else gets the same
 * 404 as for an unknown card, so card tokens cannot be probed.
 */
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { authenticate, hasScope, type AccessClaims } from '@fare/auth'
import { cardBalance, type CardBalance } from '@fare/bookkeeping'
import { CardToken, ErrorBody, Money } from '@fare/contracts'
import type { Db } from '@fare/db'
import { toMoney } from '@fare/money'
import { CardNotFound } from '../errors.ts'

const BalanceResponse = Type.Object(
  {
    cardToken: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('denied'), Type.Literal('blocked')]),
    balance: Money,
    riderCategory: Type.String(),
    caps: Type.Array(Type.Unknown()),
    asOf: Type.String(),
  },
  { additionalProperties: false },
)

/** Fails closed: a role not named here sees nothing. */
function maySee(user: AccessClaims, card: CardBalance): boolean {
  switch (user.role) {
    case 'admin':
      return true
    case 'rider':
      return card.riderId !== null && card.riderId === user.sub
    case 'device':
      return hasScope(user, 'balance:read')
    default:
      return false
  }
}

export const balanceRoutes: FastifyPluginAsync<{ db: Db; now: () => Date }> = async (plugin, options) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>()
  app.get(
    '/v1/cards/:cardToken/balance',
    {
      onRequest: authenticate(),
      schema: {
        params: Type.Object({ cardToken: CardToken }, { additionalProperties: false }),
        response: { 200: BalanceResponse, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const card = await cardBalance(options.db, request.params.cardToken)
      if (!card || !maySee(request.user, card)) throw new CardNotFound()
      return {
        cardToken: card.cardToken,
        status: card.status,
        balance: toMoney(card.balance, card.currency),
        riderCategory: card.riderCategoryId,
        caps: [],
        asOf: options.now().toISOString(),
      }
    },
  )
}
