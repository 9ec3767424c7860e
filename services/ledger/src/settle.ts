/**
 * One Kafka batch of one partition, settled in one Postgres transaction: taps
 * recorded once (tap id unique), the touched cards re-rated with the fare
 * engine, only the differences posted as balanced transfers, cached balances
 * and the deny list moved, rejected records written, and the partition's next
 * offset stored, all or nothing. A crash anywhere leaves Postgres at the
 * previous batch, and the redelivered records are recognised by their offsets
 * and tap ids.
 */
import { sql } from 'kysely'
import { Decimal } from '@fare/money'
import { arrayLiteral, type Db } from '@fare/db'
import { ensureOperator, openCard, postTransfers, refreshDenyList, revenueAccountId, systemAccountId, type DenyCheck, type Executor, type TransferToPost } from '@fare/bookkeeping'
import type { RateOptions } from '@fare/fares'
import type { TapEvent } from '@fare/contracts'
import type { KafkaMessage } from '@fare/platform'
import { decodeTapMessage } from './decode.ts'
import { maxRideAmount, planCard, spanOf, unratableReason, type LedgerTap, type PlannedTransfer, type Posted, type Side, type StoredProfile } from './rating.ts'
import type { TariffBook } from './tariffs.ts'

export interface PartitionBatch {
  consumerGroup: string
  topic: string
  partition: number
  messages: readonly KafkaMessage[]
  /** The partition's log end offset as Kafka reported it with the batch. */
  highWatermark?: string
}

export type RejectCode = 'SCHEMA' | 'TAP_CONFLICT' | 'UNKNOWN_ROUTE' | 'UNKNOWN_STOP' | 'TIME_OUT_OF_RANGE' | 'NO_TARIFF' | 'RATING_FAILED'

export interface RejectedRecord {
  offset: string
  code: RejectCode
  detail: string
  tapId?: string
  cardToken?: string
  message: KafkaMessage
}

export interface SettleResult {
  /** Offset to resume from: last record of the batch + 1. */
  nextOffset: string
  recorded: number
  duplicates: number
  skippedAlreadySettled: number
  rejected: RejectedRecord[]
  transfers: number
  cardsRated: number
  denied: string[]
  restored: string[]
}

export interface SettleOptions {
  readonly tariffs: TariffBook
  readonly rateOptions?: RateOptions
  /** Rides a card may take on credit (Lutsk: 1): the deny threshold is this many of its dearest ride below zero. */
  readonly creditRides?: number
  /** Taps older than this before their arrival at ingest are rejected. */
  readonly maxTapAgeDays?: number
  /** Taps this far after their arrival at ingest are rejected (validator clock wrong). */
  readonly maxFutureSkewSeconds?: number
}

export interface SettleHooks {
  /** Checked just before commit: a revoked partition must commit nothing. */
  assertStillOwned?: () => void
  /** Sends the rejected records to the DLQ; called before commit (at-least-once into the DLQ). */
  publishRejected?: (rejected: readonly RejectedRecord[]) => Promise<void>
  /** Wall time of each phase of the batch (profiling: the bench logs these). */
  onPhase?: (phase: string, ms: number) => void
  /** The stored offset was past the partition's end: the topic was recreated and is read from its start. */
  onTopicRecreated?: (storedNextOffset: string, highWatermark: string) => void
}

const ZERO = new Decimal(0)

function sameTap(a: { cardToken: string; kind: string; ms: number; routeId: string; stopId: string | null; deviceId: string }, b: typeof a): boolean {
  return a.cardToken === b.cardToken && a.kind === b.kind && a.ms === b.ms && a.routeId === b.routeId && a.stopId === b.stopId && a.deviceId === b.deviceId
}

function toLedgerTap(event: TapEvent): LedgerTap {
  return {
    tapId: event.tapId,
    cardToken: event.cardToken,
    kind: event.kind,
    time: event.tappedAt,
    ms: Date.parse(event.tappedAt),
    routeId: event.routeId,
    stopId: event.stopId ?? null,
    deviceId: event.deviceId,
    operatorId: event.operatorId,
  }
}

export async function settleBatch(db: Db, batch: PartitionBatch, options: SettleOptions, hooks: SettleHooks = {}): Promise<SettleResult> {
  const last = batch.messages.at(-1)
  if (!last) throw new Error('empty batch')
  const nextOffset = (BigInt(last.offset) + 1n).toString()
  const rateOptions = options.rateOptions ?? {}
  const maxAgeMs = (options.maxTapAgeDays ?? 35) * 86_400_000
  const maxSkewMs = (options.maxFutureSkewSeconds ?? 3600) * 1000

  let mark = (_phase: string): void => undefined
  if (hooks.onPhase) {
    const report = hooks.onPhase
    let at = performance.now()
    mark = (phase) => {
      const now = performance.now()
      report(phase, now - at)
      at = now
    }
  }
  const result = await db.transaction().execute(async (trx) => {
    // The offset row is the partition's lock: a second consumer still holding a
    // revoked partition waits here, then sees the records as already settled.
    await trx
      .insertInto('kafka_offsets')
      .values({ consumer_group: batch.consumerGroup, topic: batch.topic, partition: batch.partition, next_offset: '0' })
      .onConflict((oc) => oc.doNothing())
      .execute()
    const stored = await trx
      .selectFrom('kafka_offsets')
      .select('next_offset')
      .where('consumer_group', '=', batch.consumerGroup)
      .where('topic', '=', batch.topic)
      .where('partition', '=', batch.partition)
      .forUpdate()
      .executeTakeFirstOrThrow()
    const storedNext = BigInt(stored.next_offset)
    // A stored offset beyond the partition's end means the topic was recreated
    // (a new broker, `pnpm kafka reset`): its offsets start again at 0, and
    // skipping them would lose taps. Reading them all is safe, because tap ids
    // are unique: anything already recorded is recognised as a duplicate.
    const topicRecreated = batch.highWatermark !== undefined && storedNext > BigInt(batch.highWatermark)
    if (topicRecreated) hooks.onTopicRecreated?.(storedNext.toString(), batch.highWatermark ?? '')
    const settledBefore = topicRecreated ? 0n : storedNext
    const fresh = batch.messages.filter((m) => BigInt(m.offset) >= settledBefore)
    await options.tariffs.refresh(trx)

    const rejected: RejectedRecord[] = []
    const reject = (message: KafkaMessage, code: RejectCode, detail: string, event?: TapEvent): void => {
      rejected.push({ offset: message.offset, code, detail, message, ...(event ? { tapId: event.tapId, cardToken: event.cardToken } : {}) })
    }

    mark('lock offsets + tariffs')
    // 1. Decode and check each record on its own.
    const candidates: { event: TapEvent; tap: LedgerTap; message: KafkaMessage }[] = []
    for (const message of fresh) {
      const decoded = decodeTapMessage(message)
      if (!decoded.ok) {
        reject(message, 'SCHEMA', decoded.reason)
        continue
      }
      const event = decoded.event
      const tap = toLedgerTap(event)
      const receivedMs = Date.parse(event.receivedAt)
      if (!Number.isFinite(tap.ms) || !Number.isFinite(receivedMs) || tap.ms > receivedMs + maxSkewMs || tap.ms < receivedMs - maxAgeMs) {
        reject(message, 'TIME_OUT_OF_RANGE', `tapped at ${event.tappedAt}, received at ${event.receivedAt}`, event)
        continue
      }
      const version = options.tariffs.at(tap.ms)
      if (!version) {
        reject(message, 'NO_TARIFF', `no tariff version in force at ${event.tappedAt}`, event)
        continue
      }
      const unratable = unratableReason(version.tariff, tap)
      if (unratable !== undefined) {
        const what = unratable === 'UNKNOWN_ROUTE' ? `route ${JSON.stringify(tap.routeId)}` : `stop ${JSON.stringify(tap.stopId)}`
        reject(message, unratable, `${what} is not in tariff version ${version.id}`, event)
        continue
      }
      candidates.push({ event, tap, message })
    }

    mark('decode')
    // 2. Duplicates and conflicts, inside the batch and against what is recorded.
    let duplicates = 0
    const firstInBatch = new Map<string, LedgerTap>()
    const unique: typeof candidates = []
    for (const c of candidates) {
      const first = firstInBatch.get(c.tap.tapId)
      if (!first) {
        firstInBatch.set(c.tap.tapId, c.tap)
        unique.push(c)
      } else if (sameTap(first, c.tap)) duplicates++
      else reject(c.message, 'TAP_CONFLICT', `tap id ${c.tap.tapId} already seen in this batch with different content`, c.event)
    }
    // One array parameter, not one per tap (a batch has thousands).
    const recordedRows = unique.length === 0 ? [] : (await sql<{ tap_id: string; card_token: string; kind: string; tapped_at: Date; route_id: string; stop_id: string | null; device_id: string }>`
      select tap_id, card_token, kind, tapped_at, route_id, stop_id, device_id from taps
      where tap_id = any(${arrayLiteral(unique.map((c) => c.tap.tapId))}::uuid[])`.execute(trx)).rows
    const recorded = new Map(recordedRows.map((r) => [r.tap_id, r]))
    let fresh_: typeof candidates = []
    for (const c of unique) {
      const row = recorded.get(c.tap.tapId)
      if (!row) {
        fresh_.push(c)
        continue
      }
      const known = { cardToken: row.card_token, kind: row.kind, ms: row.tapped_at.getTime(), routeId: row.route_id, stopId: row.stop_id, deviceId: row.device_id }
      if (sameTap(known, c.tap)) duplicates++
      else reject(c.message, 'TAP_CONFLICT', `tap id ${c.tap.tapId} was recorded before with different content; the first is kept`, c.event)
    }

    mark('duplicates')
    // 3. Rate the touched cards and plan the differences.
    const byCard = new Map<string, typeof candidates>()
    for (const c of fresh_) {
      const list = byCard.get(c.tap.cardToken) ?? []
      list.push(c)
      byCard.set(c.tap.cardToken, list)
    }
    const cardTokens = [...byCard.keys()].sort()
    const currency = options.tariffs.versions.at(-1)?.tariff.currency ?? 'UAH'
    const cards = new Map<string, { accountId: string; profile: StoredProfile }>()
    if (cardTokens.length > 0) {
      const missing = new Set(cardTokens)
      for (let attempt = 0; attempt < 2 && missing.size > 0; attempt++) {
        const rows = await sql<{ card_token: string; account_id: string; rider_category_id: string; valid_from: string | null; valid_to: string | null; fare_media_id: string | null }>`
          select card_token, account_id::text as account_id, rider_category_id, fare_media_id,
                 to_char(category_valid_from, 'YYYY-MM-DD') as valid_from, to_char(category_valid_to, 'YYYY-MM-DD') as valid_to
          from cards where card_token = any(${arrayLiteral([...missing])}::text[])`.execute(trx)
        for (const r of rows.rows) {
          cards.set(r.card_token, {
            accountId: r.account_id,
            profile: { riderCategoryId: r.rider_category_id, riderCategoryValidFrom: r.valid_from, riderCategoryValidTo: r.valid_to, fareMediaId: r.fare_media_id },
          })
          missing.delete(r.card_token)
        }
        // A card seen for the first time gets an account (adult, no medium) at its first tap.
        for (const token of missing) await openCard(trx, { cardToken: token, currency })
      }
    }

    mark('cards')
    const spans = new Map<string, ReturnType<typeof spanOf>>()
    for (const token of cardTokens) spans.set(token, spanOf(options.tariffs, (byCard.get(token) ?? []).map((c) => c.tap), rateOptions))
    const spanTaps = new Map<string, LedgerTap[]>()
    if (cardTokens.length > 0) {
      const fromMs = Math.min(...[...spans.values()].map((s) => s.fromMs))
      const toMs = Math.max(...[...spans.values()].map((s) => s.toMs))
      const rows = await sql<{ tap_id: string; card_token: string; kind: 'entry' | 'exit'; tapped_at: Date; tapped_at_text: string; route_id: string; stop_id: string | null; device_id: string; operator_id: string }>`
        select tap_id, card_token, kind, tapped_at, tapped_at_text, route_id, stop_id, device_id, operator_id from taps
        where card_token = any(${arrayLiteral(cardTokens)}::text[]) and tapped_at >= ${new Date(fromMs).toISOString()}::timestamptz and tapped_at < ${new Date(toMs).toISOString()}::timestamptz`.execute(trx)
      for (const r of rows.rows) {
        const span = spans.get(r.card_token)
        const ms = r.tapped_at.getTime()
        if (!span || ms < span.fromMs || ms >= span.toMs) continue
        const list = spanTaps.get(r.card_token) ?? []
        list.push({ tapId: r.tap_id, cardToken: r.card_token, kind: r.kind, time: r.tapped_at_text, ms, routeId: r.route_id, stopId: r.stop_id, deviceId: r.device_id, operatorId: r.operator_id })
        spanTaps.set(r.card_token, list)
      }
    }
    mark('span taps')
    const allSpanTapIds = [...spanTaps.values()].flatMap((list) => list.map((t) => t.tapId))
    const posted = await loadPosted(trx, allSpanTapIds, cards, spanTaps, currency)

    mark('posted sums')
    const plans: { token: string; planned: PlannedTransfer[] }[] = []
    const accepted: typeof candidates = []
    let engineMs = 0
    const onRate = hooks.onPhase ? (ms: number): void => void (engineMs += ms) : undefined
    for (const token of cardTokens) {
      const fresh = byCard.get(token) ?? []
      const card = cards.get(token)
      const span = spans.get(token)
      if (!card || !span) throw new Error(`internal: card ${token} not loaded`)
      try {
        const planned = planCard({
          book: options.tariffs,
          profile: card.profile,
          taps: [...(spanTaps.get(token) ?? []), ...fresh.map((c) => c.tap)],
          newTapIds: new Set(fresh.map((c) => c.tap.tapId)),
          span,
          posted,
          options: rateOptions,
          ...(onRate ? { onRate } : {}),
        })
        plans.push({ token, planned })
        accepted.push(...fresh)
      } catch (err) {
        // A card the engine cannot rate must not stop the partition: its new taps go to the DLQ.
        const detail = err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err)
        for (const c of fresh) reject(c.message, 'RATING_FAILED', detail, c.event)
      }
    }

    mark('rate + plan')
    hooks.onPhase?.('  of which engine rate()', engineMs)
    // 4. Write: taps, transfers (one call: each account locked once), deny list, rejects, offsets.
    if (accepted.length > 0) {
      // Columns as arrays (unnest): a few parameters instead of 14 per row.
      const n = accepted.length
      const col = (f: (c: (typeof accepted)[number]) => string | null): string => {
        const out = new Array<string | null>(n)
        for (let i = 0; i < n; i++) out[i] = f(accepted[i] as (typeof accepted)[number])
        return arrayLiteral(out)
      }
      const result = await sql`
        insert into taps (tap_id, card_token, kind, tapped_at, tapped_at_text, route_id, stop_id, vehicle_id, device_id, operator_id, device_seq, received_at, kafka_partition, kafka_offset)
        select u.tap_id, u.card_token, u.kind, u.tapped_at, u.tapped_at_text, u.route_id, u.stop_id, u.vehicle_id, u.device_id, u.operator_id, u.device_seq, u.received_at, ${batch.partition}::int, u.kafka_offset
        from unnest(${col((c) => c.event.tapId)}::uuid[], ${col((c) => c.event.cardToken)}::text[], ${col((c) => c.event.kind)}::text[],
                    ${col((c) => c.event.tappedAt)}::timestamptz[], ${col((c) => c.event.tappedAt)}::text[], ${col((c) => c.event.routeId)}::text[],
                    ${col((c) => c.event.stopId ?? null)}::text[], ${col((c) => c.event.vehicleId ?? null)}::text[], ${col((c) => c.event.deviceId)}::text[],
                    ${col((c) => c.event.operatorId)}::text[], ${col((c) => (c.event.deviceSeq ?? null) === null ? null : String(c.event.deviceSeq))}::bigint[],
                    ${col((c) => c.event.receivedAt)}::timestamptz[], ${col((c) => c.message.offset)}::bigint[])
             with ordinality as u(tap_id, card_token, kind, tapped_at, tapped_at_text, route_id, stop_id, vehicle_id, device_id, operator_id, device_seq, received_at, kafka_offset, n)
        order by u.n
        on conflict (tap_id) do nothing`.execute(trx)
      // Another partition recorded one of these ids meanwhile: retry the batch, which then sees it.
      if (Number(result.numAffectedRows ?? 0n) !== n) throw new Error('a tap id was recorded concurrently; retrying the batch')
    }

    mark('insert taps')
    if (rejected.length > 0) {
      await trx
        .insertInto('rejected_taps')
        .values(rejected.map((r) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: r.offset,
          tap_id: r.tapId ?? null,
          card_token: r.cardToken ?? null,
          code: r.code,
          detail: r.detail,
          value: r.message.value ? r.message.value.toString('utf8').replaceAll('\u0000', '') : null,
        })))
        .onConflict((oc) => oc.columns(['topic', 'partition', 'offset']).doNothing())
        .execute()
    }

    // At-least-once into the DLQ: sent before commit; a retry sends again, the rows above stay one per record.
    if (rejected.length > 0) await hooks.publishRejected?.(rejected)

    mark('rejected')
    // Money last: the hot revenue accounts are locked from here to commit only.
    const transfers = await resolveAccounts(db, trx, plans, cards, currency)
    mark('resolve accounts')
    await postTransfers(trx, transfers)
    mark('post transfers')

    let denied: string[] = []
    let restored: string[] = []
    if (plans.length > 0) {
      const creditRides = new Decimal(options.creditRides ?? 1)
      const checks: DenyCheck[] = []
      for (const { token } of plans) {
        const card = cards.get(token)
        const lastTap = (byCard.get(token) ?? []).reduce((a, b) => (b.tap.ms > a ? b.tap.ms : a), -Infinity)
        const version = options.tariffs.at(lastTap)
        if (!card || !version) continue
        const maxRide = maxRideAmount(version.tariff, card.profile)
        checks.push({ cardToken: token, maxRideAmount: maxRide, creditAllowance: maxRide.times(creditRides) })
      }
      const update = await refreshDenyList(trx, checks)
      denied = update.added
      restored = update.removed
    }

    mark('deny list')
    await trx
      .updateTable('kafka_offsets')
      .set({ next_offset: nextOffset, updated_at: sql`now()` })
      .where('consumer_group', '=', batch.consumerGroup)
      .where('topic', '=', batch.topic)
      .where('partition', '=', batch.partition)
      .execute()
    hooks.assertStillOwned?.()
    mark('offsets')
    return {
      nextOffset,
      recorded: accepted.length,
      duplicates,
      skippedAlreadySettled: batch.messages.length - fresh.length,
      rejected,
      transfers: transfers.length,
      cardsRated: plans.length,
      denied,
      restored,
    }
  })
  mark('commit')
  return result
}

/** What was posted so far for the span's taps (rider side, concession side) and journeys (operator split). */
async function loadPosted(
  trx: Executor,
  tapIds: readonly string[],
  cards: ReadonlyMap<string, { accountId: string }>,
  spanTaps: ReadonlyMap<string, readonly LedgerTap[]>,
  currency: string,
): Promise<Posted> {
  const fareByTap = new Map<string, Decimal>()
  const concessionByTap = new Map<string, Decimal>()
  const splitByJourney = new Map<string, Map<string, Decimal>>()
  if (tapIds.length === 0) return { fareByTap, concessionByTap, splitByJourney }
  const riderAccountOfTap = new Map<string, string>()
  for (const [token, taps] of spanTaps) {
    const account = cards.get(token)?.accountId
    if (account) for (const t of taps) riderAccountOfTap.set(t.tapId, account)
  }
  const concessionAccount = await trx.selectFrom('accounts').select('id').where('kind', '=', 'concession').where('currency', '=', currency).executeTakeFirst()
  const rows = await sql<{ tap_id: string | null; journey_id: string | null; kind: string; reason: string | null; debit_account_id: string; credit_account_id: string; amount: string }>`
    select tap_id::text as tap_id, journey_id, kind, reason, debit_account_id::text as debit_account_id, credit_account_id::text as credit_account_id, amount::text as amount
    from transfers where tap_id = any(${arrayLiteral(tapIds)}::uuid[]) and kind in ('fare', 'fare_adjustment', 'concession')
    union all
    select null, journey_id, kind, reason, debit_account_id::text, credit_account_id::text, amount::text
    from transfers where journey_id = any(${arrayLiteral(tapIds)}::text[]) and reason = 'revenue_split'`.execute(trx)
  const splitRows = rows.rows.filter((r) => r.reason === 'revenue_split')
  const operatorOfAccount = new Map<string, string>()
  if (splitRows.length > 0) {
    const ids = [...new Set(splitRows.flatMap((r) => [r.debit_account_id, r.credit_account_id]))]
    const accounts = await trx.selectFrom('accounts').select(['id', 'operator_id']).where('id', 'in', ids).execute()
    for (const a of accounts) if (a.operator_id) operatorOfAccount.set(a.id, a.operator_id)
  }
  const add = (map: Map<string, Decimal>, key: string, amount: Decimal): void => void map.set(key, (map.get(key) ?? ZERO).plus(amount))
  for (const r of rows.rows) {
    const amount = new Decimal(r.amount)
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

/** Sides to account ids: the card's account, the operators' revenue accounts, the concession account. */
async function resolveAccounts(
  db: Db,
  trx: Executor,
  plans: readonly { token: string; planned: readonly PlannedTransfer[] }[],
  cards: ReadonlyMap<string, { accountId: string }>,
  currency: string,
): Promise<TransferToPost[]> {
  const operators = new Set<string>()
  let needsConcession = false
  for (const { planned } of plans) {
    for (const p of planned) {
      for (const side of [p.debit, p.credit]) {
        if (side === 'concession') needsConcession = true
        else if (side !== 'rider') operators.add(side.operatorId)
      }
    }
  }
  if (operators.size === 0 && !needsConcession) return []
  const revenue = new Map<string, string>()
  const existing = operators.size === 0 ? [] : await trx
    .selectFrom('accounts')
    .select(['id', 'operator_id'])
    .where('kind', '=', 'operator_revenue')
    .where('currency', '=', currency)
    .where('operator_id', 'in', [...operators])
    .execute()
  for (const row of existing) if (row.operator_id) revenue.set(row.operator_id, row.id)
  // The tariff's agency ids are operator ids; an agency not registered yet must still not stop the
  // partition. Missing operators and accounts are created in a short transaction of their own,
  // committed at once: created inside the batch, their uncommitted rows would make every other
  // partition's batch wait on this one's commit (unique keys). An empty account left behind by
  // a batch that then rolls back is harmless; the next batch finds and uses it.
  const missing = [...operators].filter((op) => !revenue.has(op)).sort()
  let concession = needsConcession ? (await trx.selectFrom('accounts').select('id').where('kind', '=', 'concession').where('currency', '=', currency).executeTakeFirst())?.id ?? '' : ''
  if (missing.length > 0 || (needsConcession && concession === '')) {
    await db.transaction().execute(async (own) => {
      for (const op of missing) {
        await ensureOperator(own, op, op)
        await revenueAccountId(own, op, currency)
      }
      if (needsConcession && concession === '') await systemAccountId(own, 'concession', currency)
    })
    for (const op of missing) revenue.set(op, await revenueAccountId(trx, op, currency))
    if (needsConcession && concession === '') concession = await systemAccountId(trx, 'concession', currency)
  }
  const out: TransferToPost[] = []
  for (const { token, planned } of plans) {
    const rider = cards.get(token)?.accountId
    if (!rider) throw new Error(`internal: no account for card ${token}`)
    const account = (side: Side): string => (side === 'rider' ? rider : side === 'concession' ? concession : (revenue.get(side.operatorId) as string))
    for (const p of planned) {
      out.push({
        debitAccountId: account(p.debit),
        creditAccountId: account(p.credit),
        amount: p.amount,
        currency,
        kind: p.kind,
        ...(p.tapId === undefined ? {} : { tapId: p.tapId }),
        ...(p.journeyId === undefined ? {} : { journeyId: p.journeyId }),
        reason: p.reason,
        explanation: p.explanation,
      })
    }
  }
  return out
}
