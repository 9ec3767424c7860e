/**
 * Admin: money on a rider's account. Top-ups, refunds and manual adjustments
 * are each a new transfer (never an edit) with its audit row, and each needs
 * an Idempotency-Key header: a retry gets the first answer, never a second
 * transfer (docs/administration.md).
 */

import { type AccountTransferKind, type AdminActionKind, postAccountTransfer, recordAdminAction } from '@fare/bookkeeping'
import { AccountId, AmountText, CurrencyCode, ErrorBody, IdempotencyKey, Money, ReasonText } from '@fare/contracts'
import type { Db } from '@fare/db'
import { parseAmount, toMoney } from '@fare/money'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import { type Static, Type } from 'typebox'
import { actorOf, adminOnly } from '../admin.ts'
import { answerIdempotently } from '../idempotent.ts'

export interface AccountRoutesOptions {
  db: Db
  /** How long a repeat waits for a first attempt with its key still running. */
  idempotencyWaitMs: number
}

const params = Type.Object({ id: AccountId }, { additionalProperties: false })
const headers = Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKey) })

const TopUpRequest = Type.Object(
  { amount: AmountText, currency: CurrencyCode },
  { additionalProperties: false, examples: [{ amount: '50.00', currency: 'UAH' }] },
)
const RefundRequest = Type.Object(
  { amount: AmountText, currency: CurrencyCode, reason: ReasonText },
  { additionalProperties: false, examples: [{ amount: '20.00', currency: 'UAH', reason: 'card returned; stored value paid back in cash (ticket 4411)' }] },
)
const AdjustmentRequest = Type.Object(
  { amount: AmountText, currency: CurrencyCode, direction: Type.Union([Type.Literal('credit'), Type.Literal('debit')]), reason: ReasonText },
  {
    additionalProperties: false,
    examples: [{ amount: '8.00', currency: 'UAH', direction: 'credit', reason: 'validator on bus 12 charged twice (ticket 4412)' }],
  },
)

const TransferAnswer = Type.Object(
  {
    transferId: Type.String(),
    accountId: Type.String(),
    cardToken: Type.Union([Type.String(), Type.Null()]),
    kind: Type.Union([Type.Literal('top_up'), Type.Literal('refund'), Type.Literal('manual_adjustment')]),
    amount: Money,
    balance: Money,
    /** True when the money took the card off the deny list. */
    restored: Type.Boolean(),
  },
  {
    additionalProperties: false,
    examples: [
      {
        transferId: '0193a0b4-52a3-7c1e-9a55-3f1d2e4c5b6a',
        accountId: '42',
        cardToken: 'ct_demo_adult_0001',
        kind: 'top_up',
        amount: { amount: '50.00', currency: 'UAH' },
        balance: { amount: '32.00', currency: 'UAH' },
        restored: true,
      },
    ],
  },
)
type TransferAnswer = Static<typeof TransferAnswer>

const ACTIONS: Record<AccountTransferKind, AdminActionKind> = {
  top_up: 'account.top_up',
  refund: 'account.refund',
  credit_adjustment: 'account.adjustment',
  debit_adjustment: 'account.adjustment',
}

export const accountRoutes: FastifyPluginAsync<AccountRoutesOptions> = async (plugin, options) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>()
  const settings = { db: options.db, waitMs: options.idempotencyWaitMs }

  /** One route per kind: the same steps, a different transfer. */
  function moneyRoute<B extends { amount: string; currency: string; reason?: string }>(
    path: string,
    summary: string,
    body: typeof TopUpRequest | typeof RefundRequest | typeof AdjustmentRequest,
    kindOf: (body: B) => AccountTransferKind,
  ) {
    app.post(
      path,
      {
        onRequest: adminOnly,
        schema: { summary, tags: ['accounts'], params, headers, body, response: { 201: TransferAnswer, '4xx': ErrorBody } },
      },
      async (request, reply) => {
        const input = request.body as B
        const kind = kindOf(input)
        return answerIdempotently<TransferAnswer>(request, reply, settings, async (trx, transferKey) => {
          const posted = await postAccountTransfer(trx, {
            kind,
            accountId: request.params.id,
            amount: parseAmount(input.amount),
            currency: input.currency,
            transferKey,
          })
          await recordAdminAction(trx, {
            actor: actorOf(request),
            action: ACTIONS[kind],
            target: posted.accountId,
            reason: input.reason ?? null,
            transferId: posted.transferId,
          })
          return {
            status: 201,
            body: {
              transferId: posted.transferId,
              accountId: posted.accountId,
              cardToken: posted.cardToken,
              kind: kind === 'top_up' || kind === 'refund' ? kind : 'manual_adjustment',
              amount: toMoney(posted.amount, posted.currency),
              balance: toMoney(posted.balance, posted.currency),
              restored: posted.restored,
            },
          }
        })
      },
    )
  }

  moneyRoute('/v1/accounts/:id/top-ups', 'Top up a rider account (admin; Idempotency-Key)', TopUpRequest, () => 'top_up')
  moneyRoute('/v1/accounts/:id/refunds', 'Pay back stored value, with a reason (admin; Idempotency-Key)', RefundRequest, () => 'refund')
  moneyRoute<Static<typeof AdjustmentRequest>>(
    '/v1/accounts/:id/adjustments',
    'Correct a balance, with a reason (admin; Idempotency-Key)',
    AdjustmentRequest,
    (body) => (body.direction === 'credit' ? 'credit_adjustment' : 'debit_adjustment'),
  )
}
