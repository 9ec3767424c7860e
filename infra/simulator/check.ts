/**
 * The per-tap check at the end of a run: what the stack recorded and charged
 * against what the simulator knows it sent, rated again here with the fare
 * engine (the same rate() the ledger calls, on the taps ingest accepted and
 * the card's profile as the simulator made it, not as the ledger stored it).
 *  - every tap ingest accepted is recorded, once; no other tap of the run is;
 *  - no tap has more than one fare transfer;
 *  - per tap, the net the card paid equals the engine's charge.
 */
import type { Db } from '@fare/db'
import { moneyFromDb } from '@fare/db'
import { type Charge, rate } from '@fare/fares'
import { type Decimal, ZERO } from '@fare/money'
import { cardProfile, engineTap, ratingSegments, type TariffBook, unratableReason } from '@fare/tariffs'
import { sql } from 'kysely'
import { type City, cardTokenPrefix } from './city.ts'
import type { SentTap } from './fleet.ts'

export interface Discrepancy {
  readonly what: string
  readonly detail: string
}

export interface CheckResult {
  readonly tapsChecked: number
  readonly discrepancies: Discrepancy[]
  /** The engine's charges of every accepted tap, by tap id (the summary reads caps and revenue from them). */
  readonly charges: ReadonlyMap<string, Charge>
  /** What each card paid for its taps, by card token. */
  readonly paidByCard: ReadonlyMap<string, Decimal>
}

const MAX_LISTED = 20

export async function checkRun(db: Db, book: TariffBook, city: City, sent: ReadonlyMap<string, SentTap>, accepted: ReadonlySet<string>): Promise<CheckResult> {
  const discrepancies: Discrepancy[] = []
  const report = (what: string, detail: string) => {
    if (discrepancies.filter((d) => d.what === what).length < MAX_LISTED) discrepancies.push({ what, detail })
  }
  const like = `${cardTokenPrefix(city.tag)}%`

  const recorded = await sql<{ tap_id: string; n: string }>`
    select tap_id::text as tap_id, count(*)::text as n from taps where card_token like ${like} group by tap_id`.execute(db)
  const recordedIds = new Set(recorded.rows.map((r) => r.tap_id))
  for (const r of recorded.rows) if (r.n !== '1') report('each accepted tap recorded once', `tap ${r.tap_id} recorded ${r.n} times`)
  for (const id of accepted) if (!recordedIds.has(id)) report('each accepted tap recorded once', `tap ${id} was accepted but is not recorded`)
  for (const id of recordedIds) if (!accepted.has(id)) report('no refused tap recorded', `tap ${id} is recorded but ingest never accepted it`)

  const twice = await sql<{ tap_id: string; n: string }>`
    select t.tap_id::text as tap_id, count(*)::text as n from transfers t join taps p on p.tap_id = t.tap_id
    where t.kind = 'fare' and p.card_token like ${like} group by t.tap_id having count(*) > 1`.execute(db)
  for (const r of twice.rows) report('at most one fare transfer per tap', `tap ${r.tap_id} has ${r.n} fare transfers`)

  const posted = await sql<{ tap_id: string; paid: string }>`
    select t.tap_id::text as tap_id, sum(case when t.debit_account_id = c.account_id then t.amount else -t.amount end)::text as paid
    from transfers t join taps p on p.tap_id = t.tap_id join cards c on c.card_token = p.card_token
    where t.kind in ('fare', 'fare_adjustment') and p.card_token like ${like} group by t.tap_id`.execute(db)
  const paid = new Map(posted.rows.map((r) => [r.tap_id, moneyFromDb(r.paid)]))

  const byCard = new Map<number, SentTap[]>()
  for (const s of sent.values()) if (accepted.has(s.tap.tapId)) byCard.set(s.card, [...(byCard.get(s.card) ?? []), s])
  const charges = new Map<string, Charge>()
  const paidByCard = new Map<string, Decimal>()
  let tapsChecked = 0
  for (const [cardIndex, list] of byCard) {
    const card = city.cards[cardIndex]
    if (!card) continue
    const taps = list.map((s) => ({
      tapId: s.tap.tapId,
      kind: s.tap.kind,
      time: s.tap.tappedAt,
      ms: Date.parse(s.tap.tappedAt),
      routeId: s.tap.routeId,
      stopId: s.tap.stopId ?? null,
      deviceId: city.validators[s.validator]?.deviceId ?? '',
    }))
    const profile = { riderCategoryId: card.riderCategoryId, riderCategoryValidFrom: null, riderCategoryValidTo: null, fareMediaId: null }
    const segments = ratingSegments(book, profile, taps, (version, tap) => unratableReason(version.tariff, tap) === undefined)
    for (const segment of segments) {
      const rating = rate(segment.version.tariff, cardProfile(segment.version.tariff, segment.profile), segment.taps.map(engineTap))
      for (const charge of rating.charges) charges.set(charge.tapId, charge)
    }
    let cardPaid = ZERO
    for (const tap of taps) {
      tapsChecked += 1
      const want = charges.get(tap.tapId)?.amount ?? ZERO
      const got = paid.get(tap.tapId) ?? ZERO
      cardPaid = cardPaid.plus(got)
      if (!want.equals(got))
        report('each tap charged what the engine says', `tap ${tap.tapId} (card ${card.cardToken}): paid ${got.toFixed(2)}, engine ${want.toFixed(2)}`)
    }
    paidByCard.set(card.cardToken, cardPaid)
  }
  return { tapsChecked, discrepancies, charges, paidByCard }
}
