/**
 * Who may read a card: its rider and admins everything; a kiosk device
 * (scope `balance:read`) the balance only; anyone else nothing. A card the
 * caller may not read is answered exactly as an unknown card (404
 * CARD_NOT_FOUND), so card tokens cannot be probed.
 */
import { type AccessClaims, hasScope } from '@fare/auth'
import { type CardBalance, cardBalance } from '@fare/bookkeeping'
import type { Db } from '@fare/db'
import { CardNotFound } from '../errors.ts'

/** `balance`: the balance and caps; `history`: trips and statements. */
export type CardView = 'balance' | 'history'

/** Fails closed: a role not named here sees nothing. */
export function maySee(user: AccessClaims, riderId: string | null, view: CardView): boolean {
  switch (user.role) {
    case 'admin':
      return true
    case 'rider':
      return riderId !== null && riderId === user.sub
    case 'device':
      return view === 'balance' && hasScope(user, 'balance:read')
    default:
      return false
  }
}

/** The card, if the caller may see this view of it; CARD_NOT_FOUND otherwise, the same as for no such card. */
export async function visibleCard(db: Db, cardToken: string, user: AccessClaims, view: CardView): Promise<CardBalance> {
  const card = await cardBalance(db, cardToken)
  if (!card || !maySee(user, card.riderId, view)) throw new CardNotFound()
  return card
}
