/**
 * The ledger's invariants, checked against Postgres (`pnpm ledger:check`, and
 * by the tests after every scenario):
 *  - every transfer is well formed (amount > 0, two existing accounts, one currency);
 *  - the transfers balance: all account balances sum to zero per currency;
 *  - each cached balance equals the sum of its account's transfers;
 *  - every tap is charged exactly once: at most one `fare` transfer per tap,
 *    no fare transfer for an unknown tap, and (with `rerate`) the net posted
 *    per tap equals what the fare engine charges for the card's whole history;
 *  - offsets are consistent: every recorded or rejected record lies below the
 *    next offset the consumer group stored for its partition of the topic;
 *  - the deny list agrees with its change log;
 *  - every refund, manual adjustment and balance move has the audit row of the
 *    administrator who made it (`admin_actions`, docs/administration.md);
 *  - the reports' daily rollup (`tap_charge_days`, its shards summed) equals
 *    the sums of `tap_charges`, group by group, and the hourly rollup of
 *    transfers (`transfer_hours`) equals the transfers.
 */

import type { SettledTap } from '@fare/contracts'
import { type Db, moneyFromDb } from '@fare/db'
import { type Decimal, ZERO } from '@fare/money'
import { createTariffBook, loadEarlierCategories, loadPredecessors } from '@fare/tariffs'
import { sql } from 'kysely'
import { type Posted, planCard } from './rating.ts'

export interface Violation {
  readonly invariant: string
  readonly detail: string
}

export interface CheckOptions {
  /** Re-rate every card's full history with the engine and compare per tap (default true). */
  readonly rerate?: boolean
  /** Stop listing after this many violations per invariant. */
  readonly maxPerInvariant?: number
  /** Whose stored offsets the records are checked against (default: the service's, group `ledger` on topic `taps`). */
  readonly source?: { readonly consumerGroup: string; readonly topic: string }
}

export const DEFAULT_SOURCE = { consumerGroup: 'ledger', topic: 'taps' } as const

export async function checkInvariants(db: Db, options: CheckOptions = {}): Promise<Violation[]> {
  const out: Violation[] = []
  const limit = options.maxPerInvariant ?? 20
  const push = (invariant: string, rows: readonly unknown[], describe: (row: never) => string): void => {
    for (const row of rows.slice(0, limit)) out.push({ invariant, detail: describe(row as never) })
    if (rows.length > limit) out.push({ invariant, detail: `... and ${rows.length - limit} more` })
  }

  // Left joins: a transfer naming an account that does not exist is malformed too (a trigger refuses
  // one on insert; this finds one written around it).
  const malformed = await sql<{ id: string }>`
    select t.id from transfers t left join accounts d on d.id = t.debit_account_id left join accounts c on c.id = t.credit_account_id
    where d.id is null or c.id is null
       or t.amount <= 0 or t.debit_account_id = t.credit_account_id or d.currency <> t.currency or c.currency <> t.currency`.execute(db)
  push('transfers well formed', malformed.rows, (r: { id: string }) => `transfer ${r.id}`)

  const totals = await sql<{
    currency: string
    total: string
  }>`select currency, sum(balance)::text as total from accounts group by currency having sum(balance) <> 0`.execute(db)
  push('transfers balance', totals.rows, (r: { currency: string; total: string }) => `balances in ${r.currency} sum to ${r.total}, not 0`)

  const cached = await sql<{ id: string; balance: string; derived: string }>`
    select a.id::text as id, a.balance::text as balance, (coalesce(c.s, 0) - coalesce(d.s, 0))::text as derived
    from accounts a
    left join (select credit_account_id as id, sum(amount) as s from transfers group by 1) c on c.id = a.id
    left join (select debit_account_id as id, sum(amount) as s from transfers group by 1) d on d.id = a.id
    where a.balance <> coalesce(c.s, 0) - coalesce(d.s, 0)`.execute(db)
  push(
    'cached balance equals sum of transfers',
    cached.rows,
    (r: { id: string; balance: string; derived: string }) => `account ${r.id}: cached ${r.balance}, transfers ${r.derived}`,
  )

  const twice = await sql<{ tap_id: string; n: string }>`
    select tap_id::text as tap_id, count(*)::text as n from transfers where kind = 'fare' and tap_id is not null group by tap_id having count(*) > 1`.execute(
    db,
  )
  push('each tap has at most one fare transfer', twice.rows, (r: { tap_id: string; n: string }) => `tap ${r.tap_id} has ${r.n} fare transfers`)

  const orphan = await sql<{ id: string; tap_id: string }>`
    select t.id::text as id, t.tap_id::text as tap_id from transfers t left join taps p on p.tap_id = t.tap_id
    where t.tap_id is not null and p.tap_id is null`.execute(db)
  push('transfers name recorded taps', orphan.rows, (r: { id: string; tap_id: string }) => `transfer ${r.id} names unknown tap ${r.tap_id}`)

  // Against one consumer group's offsets on one topic: another group's (a second environment, an old
  // topic) say nothing about whether this ledger settled a record.
  const { consumerGroup, topic } = options.source ?? DEFAULT_SOURCE
  const offsets = await sql<{ tap_id: string; kafka_partition: number; kafka_offset: string }>`
    select p.tap_id::text as tap_id, p.kafka_partition, p.kafka_offset::text as kafka_offset from taps p
    where not exists (select 1 from kafka_offsets o where o.consumer_group = ${consumerGroup} and o.topic = ${topic}
                      and o.partition = p.kafka_partition and o.next_offset > p.kafka_offset)`.execute(db)
  push(
    'recorded taps lie below the stored offsets',
    offsets.rows,
    (r: { tap_id: string; kafka_partition: number; kafka_offset: string }) => `tap ${r.tap_id} at ${r.kafka_partition}/${r.kafka_offset}`,
  )
  const rejectedBeyond = await sql<{ topic: string; partition: number; offset: string }>`
    select r.topic, r.partition, r."offset"::text as "offset" from rejected_taps r
    where r.topic = ${topic}
      and not exists (select 1 from kafka_offsets o where o.consumer_group = ${consumerGroup} and o.topic = r.topic
                      and o.partition = r.partition and o.next_offset > r."offset")`.execute(db)
  push(
    'rejected records lie below the stored offsets',
    rejectedBeyond.rows,
    (r: { topic: string; partition: number; offset: string }) => `${r.topic}/${r.partition}/${r.offset}`,
  )

  const deny = await sql<{ card_token: string; listed: boolean; last_action: string | null }>`
    with last as (select distinct on (card_token) card_token, action from deny_list_changes order by card_token, version desc)
    select coalesce(d.card_token, l.card_token) as card_token, d.card_token is not null as listed, l.action as last_action
    from deny_list d full join last l on l.card_token = d.card_token
    where (d.card_token is not null) <> (l.action = 'add')`.execute(db)
  push(
    'deny list agrees with its changes',
    deny.rows,
    (r: { card_token: string; listed: boolean; last_action: string | null }) =>
      `card ${r.card_token}: listed=${r.listed}, last change ${r.last_action ?? 'none'}`,
  )

  const unaudited = await sql<{ id: string; kind: string }>`
    select t.id::text as id, t.kind from transfers t
    where t.kind in ('refund', 'manual_adjustment', 'balance_move')
      and not exists (select 1 from admin_actions a where a.transfer_id = t.id)`.execute(db)
  push(
    'refunds and adjustments have their audit row',
    unaudited.rows,
    (r: { id: string; kind: string }) => `${r.kind} transfer ${r.id} has no admin_actions row`,
  )

  const rollup = await rollupDifferences(db)
  push('the daily rollup equals tap_charges', rollup, (r: RollupDifference) => describeRollup(r))

  const hours = await sql<{ key: string; kept: string | null; derived: string | null }>`
    with derived as (
      select date_trunc('hour', n.created_at, 'UTC') as hour, n.currency, n.kind, d.kind as debit_kind,
             case when d.kind = 'rider' then null else d.operator_id end as debit_operator, c.kind as credit_kind,
             case when c.kind = 'rider' then null else c.operator_id end as credit_operator, count(*) as transfers, sum(n.amount) as amount
      from transfers n join accounts d on d.id = n.debit_account_id join accounts c on c.id = n.credit_account_id
      group by 1, 2, 3, 4, 5, 6, 7
    )
    select concat_ws(' ', coalesce(k.hour, d.hour), coalesce(k.kind, d.kind), coalesce(k.debit_kind, d.debit_kind),
                     coalesce(k.debit_operator, d.debit_operator), coalesce(k.credit_kind, d.credit_kind),
                     coalesce(k.credit_operator, d.credit_operator)) as key,
           k.transfers || ' for ' || k.amount as kept, d.transfers || ' for ' || d.amount as derived
    from transfer_hours k full join derived d
      on (k.hour, k.currency, k.kind, k.debit_kind, k.credit_kind) = (d.hour, d.currency, d.kind, d.debit_kind, d.credit_kind)
     and k.debit_operator is not distinct from d.debit_operator and k.credit_operator is not distinct from d.credit_operator
    where (k.transfers, k.amount) is distinct from (d.transfers, d.amount)
    order by 1`.execute(db)
  push(
    'the hourly rollup of transfers equals the transfers',
    hours.rows,
    (r: { key: string; kept: string | null; derived: string | null }) =>
      `${r.key}: ${r.kept ?? 'nothing'} in transfer_hours, ${r.derived ?? 'nothing'} in transfers`,
  )

  if (options.rerate ?? true) out.push(...(await checkRating(db, limit)))
  return out
}

/** The figures of tap_charge_days, as the rollup has them and as tap_charges sums them. */
const ROLLUP_FIGURES = ['charges', 'rides', 'capped_rides', 'full_fare', 'leg_fare', 'before_caps', 'amount', 'first_amount', 'concession', 'split'] as const

interface RollupDifference {
  readonly key: string
  readonly rollup: Record<string, string> | null
  readonly derived: Record<string, string> | null
}

/**
 * Groups whose rollup row (shards summed) differs from tap_charges' sums. A rollup group whose figures are
 * all zero (every charge in it re-rated into another group) is as good as none.
 */
async function rollupDifferences(db: Db): Promise<RollupDifference[]> {
  const figures = sql.join(ROLLUP_FIGURES.map((f) => sql.raw(`'${f}', sum(${f})::text`)))
  const rows = await sql<RollupDifference>`
    with kept as (
      select service_day, operator_id, route_id, rider_category_id, capped_by, currency, jsonb_build_object(${figures}) as figures
      from tap_charge_days group by 1, 2, 3, 4, 5, 6
    ),
    derived as (
      select service_day, operator_id, route_id, rider_category_id, capped_by, currency, jsonb_build_object(${figures}) as figures
      from (select service_day, operator_id, route_id, rider_category_id, capped_by, currency, 1 as charges,
                   (tap_kind = 'entry' and charge_kind <> 'double_tap')::int as rides, (capped_by is not null and amount < before_caps)::int as capped_rides,
                   full_fare, leg_fare, before_caps, amount, first_amount, concession, split from tap_charges) c
      group by 1, 2, 3, 4, 5, 6
    )
    select concat_ws(' ', coalesce(k.service_day, d.service_day)::text, coalesce(k.operator_id, d.operator_id), coalesce(k.route_id, d.route_id),
                     coalesce(k.rider_category_id, d.rider_category_id, '-'), coalesce(k.capped_by, d.capped_by, '-'), coalesce(k.currency, d.currency)) as key,
           k.figures as rollup, d.figures as derived
    from kept k full join derived d
      on (k.service_day, k.operator_id, k.route_id, k.currency) = (d.service_day, d.operator_id, d.route_id, d.currency)
     and k.rider_category_id is not distinct from d.rider_category_id and k.capped_by is not distinct from d.capped_by
    where k.figures is distinct from d.figures
      and not (d.figures is null and not exists (select 1 from jsonb_each_text(k.figures) f where f.value::numeric <> 0))
    order by 1`.execute(db)
  return rows.rows
}

function describeRollup(r: RollupDifference): string {
  if (r.rollup === null) return `${r.key}: no rollup row; tap_charges sums ${JSON.stringify(r.derived)}`
  if (r.derived === null) return `${r.key}: rollup ${JSON.stringify(r.rollup)}, but tap_charges has no charge there`
  const differ = ROLLUP_FIGURES.filter((f) => !moneyFromDb(r.rollup?.[f] ?? '0').equals(moneyFromDb(r.derived?.[f] ?? '0')))
  return `${r.key}: ${differ.map((f) => `${f} ${r.rollup?.[f]} in the rollup, ${r.derived?.[f]} in tap_charges`).join('; ')}`
}

/** Re-rates every card's whole history and reports any tap whose posted charge differs. */
async function checkRating(db: Db, limit: number): Promise<Violation[]> {
  const book = createTariffBook()
  await book.refresh(db)
  const taps = await sql<{
    tap_id: string
    card_token: string
    kind: 'entry' | 'exit'
    tapped_at: Date
    tapped_at_text: string
    route_id: string
    stop_id: string | null
    device_id: string
    operator_id: string
  }>`
    select tap_id::text as tap_id, card_token, kind, tapped_at, tapped_at_text, route_id, stop_id, device_id, operator_id from taps`.execute(db)
  const cards = await sql<{
    card_token: string
    account_id: string
    rider_category_id: string
    fare_media_id: string | null
    valid_from: string | null
    valid_to: string | null
  }>`
    select card_token, account_id::text as account_id, rider_category_id, fare_media_id,
           to_char(category_valid_from, 'YYYY-MM-DD') as valid_from, to_char(category_valid_to, 'YYYY-MM-DD') as valid_to from cards`.execute(db)
  const posted = await sql<{ tap_id: string; paid: string }>`
    select t.tap_id::text as tap_id, sum(case when t.debit_account_id = c.account_id then t.amount else -t.amount end)::text as paid
    from transfers t join taps p on p.tap_id = t.tap_id join cards c on c.card_token = p.card_token
    where t.kind in ('fare', 'fare_adjustment') group by t.tap_id`.execute(db)
  const paid = new Map(posted.rows.map((r) => [r.tap_id, moneyFromDb(r.paid)]))
  const readSide = await db.selectFrom('tap_charges').select(['tap_id', 'operator_id', 'amount', 'concession', 'split', 'full_fare']).execute()
  const readRows = new Map(readSide.map((r) => [r.tap_id, r]))
  const byCard = new Map<string, SettledTap[]>()
  for (const r of taps.rows) {
    const list = byCard.get(r.card_token) ?? []
    list.push({
      tapId: r.tap_id,
      cardToken: r.card_token,
      kind: r.kind,
      time: r.tapped_at_text,
      ms: r.tapped_at.getTime(),
      routeId: r.route_id,
      stopId: r.stop_id,
      deviceId: r.device_id,
      operatorId: r.operator_id,
    })
    byCard.set(r.card_token, list)
  }
  const out: Violation[] = []
  const nothingPosted: Posted = { fareByTap: new Map(), concessionByTap: new Map(), splitByJourney: new Map() }
  const predecessors = await loadPredecessors(db)
  const earlier = await loadEarlierCategories(db)
  for (const card of cards.rows) {
    const list = byCard.get(card.card_token)
    if (!list || list.length === 0) continue
    // The taps of the cards it replaced rate with its own, as the ledger rated them (context only).
    const context = (predecessors.get(card.card_token) ?? []).flatMap((token) => byCard.get(token) ?? [])
    // Planning against "nothing posted" yields exactly the full charge of every tap.
    const { transfers: planned, charges } = planCard({
      book,
      profile: {
        riderCategoryId: card.rider_category_id,
        riderCategoryValidFrom: card.valid_from,
        riderCategoryValidTo: card.valid_to,
        fareMediaId: card.fare_media_id,
        earlier: earlier.get(card.card_token) ?? [],
      },
      cardToken: card.card_token,
      taps: [...context, ...list],
      newTapIds: new Set(),
      span: { fromMs: -Infinity, toMs: Infinity, postFromMs: -Infinity },
      posted: nothingPosted,
      options: {},
    })
    const expected = new Map<string, Decimal>()
    for (const p of planned) {
      if (p.kind === 'concession' || p.tapId === undefined) continue
      const sign = p.debit === 'rider' ? 1 : -1
      expected.set(p.tapId, (expected.get(p.tapId) ?? ZERO).plus(p.amount.times(sign)))
    }
    for (const tap of list) {
      const want = expected.get(tap.tapId) ?? ZERO
      const got = paid.get(tap.tapId) ?? ZERO
      if (!want.equals(got) && out.length < limit)
        out.push({
          invariant: 'each tap charged what the engine says',
          detail: `tap ${tap.tapId} (card ${card.card_token}): posted ${got.toFixed(2)}, engine ${want.toFixed(2)}`,
        })
    }
    for (const charge of charges) {
      const row = readRows.get(charge.tapId)
      const agrees =
        row !== undefined &&
        row.operator_id === charge.operatorId &&
        moneyFromDb(row.amount).equals(charge.amount) &&
        moneyFromDb(row.concession).equals(charge.concession) &&
        moneyFromDb(row.split).equals(charge.split) &&
        moneyFromDb(row.full_fare).equals(charge.fullFare)
      if (!agrees && out.length < limit)
        out.push({
          invariant: "each tap's report row agrees with the engine",
          detail: row
            ? `tap ${charge.tapId}: tap_charges has ${row.operator_id} ${row.amount} (concession ${row.concession}, split ${row.split}), ` +
              `engine ${charge.operatorId} ${charge.amount.toFixed(2)} (concession ${charge.concession.toFixed(2)}, split ${charge.split.toFixed(2)})`
            : `tap ${charge.tapId}: no tap_charges row`,
        })
    }
  }
  return out
}
