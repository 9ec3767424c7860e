/**
 * What rating a card's taps draws on beyond the card's own row: the cards it
 * replaced (their taps carry its cap progress and journeys) and the rider
 * categories it had before (docs/administration.md). The ledger rates with
 * these and the rider api explains its charges with them, so both read them
 * here.
 */

import { anyOf, type Database } from '@fare/db'
import type { Kysely } from 'kysely'
import type { EarlierCategory } from './card-profile.ts'

/** The earlier rider categories of the given cards (or of every card), oldest first. */
export async function loadEarlierCategories(db: Kysely<Database>, cardTokens?: readonly string[]): Promise<Map<string, EarlierCategory[]>> {
  let query = db
    .selectFrom('card_category_history')
    .select((eb) => [
      'card_token',
      'rider_category_id',
      'until',
      // As text: node-pg reads a date column as a JS Date at local midnight, not as the date.
      eb.fn<string | null>('to_char', ['category_valid_from', eb.val('YYYY-MM-DD')]).as('valid_from'),
      eb.fn<string | null>('to_char', ['category_valid_to', eb.val('YYYY-MM-DD')]).as('valid_to'),
    ])
    .orderBy('card_token')
    .orderBy('until')
  if (cardTokens !== undefined) query = query.where('card_token', '=', anyOf(cardTokens, 'text'))
  const byCard = new Map<string, EarlierCategory[]>()
  for (const r of await query.execute()) {
    const list = byCard.get(r.card_token) ?? []
    list.push({ untilMs: r.until.getTime(), riderCategoryId: r.rider_category_id, riderCategoryValidFrom: r.valid_from, riderCategoryValidTo: r.valid_to })
    byCard.set(r.card_token, list)
  }
  return byCard
}

/**
 * The cards each card replaced, following `replaced_by` back through every
 * replacement: for the given cards, or for every card that replaced one.
 */
export async function loadPredecessors(db: Kysely<Database>, cardTokens?: readonly string[]): Promise<Map<string, string[]>> {
  const rows = await db
    .withRecursive('prior(card_token, heir)', (qb) => {
      const direct = qb.selectFrom('cards').select(['card_token', 'replaced_by as heir']).where('replaced_by', 'is not', null)
      return (cardTokens === undefined ? direct : direct.where('replaced_by', '=', anyOf(cardTokens, 'text'))).unionAll((eb) =>
        eb.selectFrom('cards as c').innerJoin('prior as p', 'p.card_token', 'c.replaced_by').select(['c.card_token', 'p.heir']),
      )
    })
    .selectFrom('prior')
    .select(['card_token', 'heir'])
    .execute()
  const byHeir = new Map<string, string[]>()
  for (const r of rows) if (r.heir !== null) byHeir.set(r.heir, [...(byHeir.get(r.heir) ?? []), r.card_token])
  return byHeir
}
