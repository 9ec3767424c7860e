/**
 * What every administrator's route shares: admins only (checked in onRequest,
 * before the body is read), the actor its audit rows name, and the catalogued
 * error for each refusal of @fare/bookkeeping.
 */

import { authenticate, requireRole } from '@fare/auth'
import { type Actor, Refusal, type RefusalKind } from '@fare/bookkeeping'
import type { FastifyRequest } from 'fastify'
import {
  AccountNotFound,
  AmountInvalid,
  CardExists,
  CardNotFound,
  CardReplaced,
  CategoryDatesInvalid,
  CurrencyMismatch,
  InsufficientBalance,
} from './errors.ts'

export const adminOnly = [authenticate(), requireRole('admin')]

export function actorOf(request: FastifyRequest): Actor {
  return { subject: request.user.sub, role: request.user.role }
}

const ANSWERS: Record<RefusalKind, (refusal: Refusal) => Error> = {
  card_exists: (r) => new CardExists(r.message),
  card_not_found: () => new CardNotFound(),
  card_replaced: (r) => new CardReplaced(r.message),
  account_not_found: () => new AccountNotFound(),
  currency_mismatch: (r) => new CurrencyMismatch(r.message),
  amount_invalid: (r) => new AmountInvalid(r.message),
  insufficient_balance: (r) => new InsufficientBalance(r.message),
  category_dates_invalid: (r) => new CategoryDatesInvalid(r.message),
}

/** Runs a bookkeeping operation; its refusal becomes the catalogued error the client is answered. */
export async function answering<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (err) {
    if (err instanceof Refusal) throw ANSWERS[err.kind](err)
    throw err
  }
}
