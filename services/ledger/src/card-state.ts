/**
 * What the ledger knows of the cards a batch touches, read inside the batch's
 * transaction: each card's account and profile (a card seen for the first
 * time is opened), the cards it replaced, its recorded taps in the span the
 * new taps can affect (and theirs), and what was already posted for those
 * taps and their journeys.
 */

import { type Executor, openCard } from '@fare/bookkeeping'
import type { SettledTap } from '@fare/contracts'
import { anyOf, moneyFromDb } from '@fare/db'
import { type Decimal, ZERO } from '@fare/money'
import { loadEarlierCategories, loadPredecessors, type ProfileWithHistory } from '@fare/tariffs'
import type { Posted, Span } from './rating.ts'

export interface LoadedCard {
  readonly accountId: string
  readonly profile: ProfileWithHistory
  /** The cards this one replaced, directly or not (docs/administration.md): their taps rate with its own. */
  readonly predecessors: readonly string[]
}

/** The cards by token, opening an account (adult, no medium) for a card seen for the first time. */
export async function loadCards(trx: Executor, cardTokens: readonly string[], currency: string): Promise<Map<string, LoadedCard>> {
  const cards = new Map<string, LoadedCard>()
  if (cardTokens.length === 0) return cards
  const predecessors = await loadPredecessors(trx, cardTokens)
  const earlier = await loadEarlierCategories(trx, cardTokens)
  const missing = new Set(cardTokens)
  for (let attempt = 0; attempt < 2 && missing.size > 0; attempt++) {
    const rows = await trx
      .selectFrom('cards')
      .select((eb) => [
        'card_token',
        'account_id',
        'rider_category_id',
        'fare_media_id',
        // As text: node-pg reads a date column as a JS Date at local midnight, not as the date.
        eb.fn<string | null>('to_char', ['category_valid_from', eb.val('YYYY-MM-DD')]).as('valid_from'),
        eb.fn<string | null>('to_char', ['category_valid_to', eb.val('YYYY-MM-DD')]).as('valid_to'),
      ])
      .where('card_token', '=', anyOf([...missing], 'text'))
      .execute()
    for (const r of rows) {
      cards.set(r.card_token, {
        accountId: r.account_id,
        profile: {
          riderCategoryId: r.rider_category_id,
          riderCategoryValidFrom: r.valid_from,
          riderCategoryValidTo: r.valid_to,
          fareMediaId: r.fare_media_id,
          earlier: earlier.get(r.card_token) ?? [],
        },
        predecessors: predecessors.get(r.card_token) ?? [],
      })
      missing.delete(r.card_token)
    }
    // A card seen for the first time gets an account (adult, no medium) at its first tap.
    for (const token of missing) await openCard(trx, { cardToken: token, currency })
  }
  return cards
}

/**
 * Each card's recorded taps inside its span, with those of the cards it
 * replaced (`predecessors`, keyed by the card) in the same span; one query
 * for all cards.
 */
export async function loadSpanTaps(
  trx: Executor,
  spans: ReadonlyMap<string, Span>,
  predecessors: ReadonlyMap<string, readonly string[]> = new Map(),
): Promise<Map<string, SettledTap[]>> {
  const heirOf = new Map<string, string>()
  for (const token of spans.keys()) heirOf.set(token, token)
  for (const [heir, prior] of predecessors) if (spans.has(heir)) for (const token of prior) heirOf.set(token, heir)
  const cardTokens = [...heirOf.keys()]
  const spanTaps = new Map<string, SettledTap[]>()
  if (spans.size === 0) return spanTaps
  const fromMs = Math.min(...[...spans.values()].map((s) => s.fromMs))
  const toMs = Math.max(...[...spans.values()].map((s) => s.toMs))
  const rows = await trx
    .selectFrom('taps')
    .select(['tap_id', 'card_token', 'kind', 'tapped_at', 'tapped_at_text', 'route_id', 'stop_id', 'device_id', 'operator_id'])
    .where('card_token', '=', anyOf(cardTokens, 'text'))
    .where('tapped_at', '>=', new Date(fromMs))
    .where('tapped_at', '<', new Date(toMs))
    .execute()
  for (const r of rows) {
    const heir = heirOf.get(r.card_token) ?? r.card_token
    const span = spans.get(heir)
    const ms = r.tapped_at.getTime()
    if (!span || ms < span.fromMs || ms >= span.toMs) continue
    const list = spanTaps.get(heir) ?? []
    list.push({
      tapId: r.tap_id,
      cardToken: r.card_token,
      kind: r.kind,
      time: r.tapped_at_text,
      ms,
      routeId: r.route_id,
      stopId: r.stop_id,
      deviceId: r.device_id,
      operatorId: r.operator_id,
    })
    spanTaps.set(heir, list)
  }
  return spanTaps
}

/** What was posted so far for the span's taps (rider side, concession side) and journeys (operator split). */
export async function loadPosted(
  trx: Executor,
  tapIds: readonly string[],
  cards: ReadonlyMap<string, { accountId: string }>,
  spanTaps: ReadonlyMap<string, readonly SettledTap[]>,
  currency: string,
): Promise<Posted> {
  const fareByTap = new Map<string, Decimal>()
  const concessionByTap = new Map<string, Decimal>()
  const splitByJourney = new Map<string, Map<string, Decimal>>()
  if (tapIds.length === 0) return { fareByTap, concessionByTap, splitByJourney }
  const riderAccountOfTap = new Map<string, string>()
  for (const [token, taps] of spanTaps) {
    const account = cards.get(token)?.accountId
    // A replaced card's taps are context only (never posted for), so what was posted for them is not needed.
    if (account) for (const t of taps) if (t.cardToken === token) riderAccountOfTap.set(t.tapId, account)
  }
  const concessionAccount = await trx.selectFrom('accounts').select('id').where('kind', '=', 'concession').where('currency', '=', currency).executeTakeFirst()
  // Both sides in one round trip. A revenue split names its journey, never a tap (planSplits).
  const columns = ['tap_id', 'journey_id', 'kind', 'reason', 'debit_account_id', 'credit_account_id', 'amount'] as const
  const rows = await trx
    .selectFrom('transfers')
    .select(columns)
    .where('tap_id', '=', anyOf(tapIds, 'uuid'))
    .where('kind', 'in', ['fare', 'fare_adjustment', 'concession'])
    .unionAll(trx.selectFrom('transfers').select(columns).where('journey_id', '=', anyOf(tapIds, 'text')).where('reason', '=', 'revenue_split'))
    .execute()
  const splitRows = rows.filter((r) => r.reason === 'revenue_split')
  const operatorOfAccount = new Map<string, string>()
  if (splitRows.length > 0) {
    const ids = [...new Set(splitRows.flatMap((r) => [r.debit_account_id, r.credit_account_id]))]
    const accounts = await trx.selectFrom('accounts').select(['id', 'operator_id']).where('id', 'in', ids).execute()
    for (const a of accounts) if (a.operator_id) operatorOfAccount.set(a.id, a.operator_id)
  }
  const add = (map: Map<string, Decimal>, key: string, amount: Decimal): void => void map.set(key, (map.get(key) ?? ZERO).plus(amount))
  for (const r of rows) {
    const amount = moneyFromDb(r.amount)
    if (r.reason === 'revenue_split') {
      if (!r.journey_id) continue
      const byOp = splitByJourney.get(r.journey_id) ?? new Map<string, Decimal>()
      add(byOp, operatorOfAccount.get(r.credit_account_id) ?? '', amount)
      add(byOp, operatorOfAccount.get(r.debit_account_id) ?? '', amount.negated())
      splitByJourney.set(r.journey_id, byOp)
    } else if (r.kind === 'concession') {
      if (!r.tap_id) continue
      add(concessionByTap, r.tap_id, r.debit_account_id === concessionAccount?.id ? amount : amount.negated())
    } else if (r.tap_id) {
      add(fareByTap, r.tap_id, r.debit_account_id === riderAccountOfTap.get(r.tap_id) ? amount : amount.negated())
    }
  }
  return { fareByTap, concessionByTap, splitByJourney }
}
