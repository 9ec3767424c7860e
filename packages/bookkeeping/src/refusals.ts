/**
 * Why an administrator's operation was refused, for the caller to answer with
 * its own stable code (the api maps each kind to a catalogued error). Thrown
 * inside the operation's transaction, so nothing it began is kept.
 */
export type RefusalKind =
  | 'card_exists'
  | 'card_not_found'
  | 'card_replaced'
  | 'account_not_found'
  | 'currency_mismatch'
  | 'amount_invalid'
  | 'insufficient_balance'
  | 'category_dates_invalid'

export class Refusal extends Error {
  constructor(
    readonly kind: RefusalKind,
    message: string,
  ) {
    super(message)
  }
}
