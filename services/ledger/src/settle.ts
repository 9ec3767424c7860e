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
import type { Db } from '@fare/db'
import { postTransfers, refreshDenyList, type DenyCheck, type Executor } from '@fare/bookkeeping'
import type { RateOptions } from '@fare/fares'
import { DEFAULT_TAP_WINDOW, type TapEvent, type TapWindow } from '@fare/contracts'
import type { KafkaMessage } from '@fare/platform'
import { loadCards, loadPosted, loadSpanTaps } from './card-state.ts'
import { maxRideAmount, planCard, spanOf, type PlannedTransfer, type Span } from './rating.ts'
import { decodeTapMessage } from './decode.ts'
import { checkRecords, insertRejected, insertTaps, unseenTaps, type Candidate, type RejectCode, type RejectedRecord } from './records.ts'
import type { TariffBook } from './tariffs.ts'
import { resolveAccounts } from './transfer-accounts.ts'

export type { RejectCode, RejectedRecord } from './records.ts'

export interface PartitionBatch {
  consumerGroup: string
  topic: string
  partition: number
  messages: readonly KafkaMessage[]
  /** The partition's log end offset as Kafka reported it with the batch. */
  highWatermark?: string
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
  /** How far a tap's time may lie from its arrival at ingest (default: DEFAULT_TAP_WINDOW, as ingest's). */
  readonly tapWindow?: TapWindow
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

export async function settleBatch(db: Db, batch: PartitionBatch, options: SettleOptions, hooks: SettleHooks = {}): Promise<SettleResult> {
  const last = batch.messages.at(-1)
  if (!last) throw new Error('empty batch')
  const nextOffset = (BigInt(last.offset) + 1n).toString()
  const rateOptions = options.rateOptions ?? {}

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
    const settledBefore = await lockPartition(trx, batch, hooks)
    const fresh = batch.messages.filter((m) => BigInt(m.offset) >= settledBefore)
    await options.tariffs.refresh(trx)

    const rejected: RejectedRecord[] = []
    const reject = (message: KafkaMessage, code: RejectCode, detail: string, event?: TapEvent): void => {
      rejected.push({ offset: message.offset, code, detail, message, ...(event ? { tapId: event.tapId, cardToken: event.cardToken } : {}) })
    }

    mark('lock offsets + tariffs')
    const candidates = checkRecords(fresh, options.tariffs, options.tapWindow ?? DEFAULT_TAP_WINDOW, reject)

    mark('decode')
    const { unseen: newTaps, duplicates } = await unseenTaps(trx, candidates, reject)

    mark('duplicates')
    // Rate the touched cards and plan the differences.
    const byCard = new Map<string, Candidate[]>()
    for (const c of newTaps) {
      const list = byCard.get(c.tap.cardToken) ?? []
      list.push(c)
      byCard.set(c.tap.cardToken, list)
    }
    const cardTokens = [...byCard.keys()].sort()
    const currency = options.tariffs.versions.at(-1)?.tariff.currency ?? 'UAH'
    const cards = await loadCards(trx, cardTokens, currency)

    mark('cards')
    const spans = new Map<string, Span>()
    for (const token of cardTokens) spans.set(token, spanOf(options.tariffs, (byCard.get(token) ?? []).map((c) => c.tap), rateOptions))
    const spanTaps = await loadSpanTaps(trx, spans)
    mark('span taps')
    const allSpanTapIds = [...spanTaps.values()].flatMap((list) => list.map((t) => t.tapId))
    const posted = await loadPosted(trx, allSpanTapIds, cards, spanTaps, currency)

    mark('posted sums')
    const plans: { token: string; planned: PlannedTransfer[] }[] = []
    const accepted: Candidate[] = []
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
    // Write: taps, rejects, transfers (one call: each account locked once), deny list, offsets.
    await insertTaps(trx, batch.partition, accepted)

    mark('insert taps')
    await insertRejected(trx, batch.topic, batch.partition, rejected)

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
    await storeNextOffset(trx, batch, nextOffset)
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

type PartitionKey = Pick<PartitionBatch, 'consumerGroup' | 'topic' | 'partition' | 'highWatermark'>

/**
 * Locks the partition's offset row and returns the first offset not yet
 * settled. The row is the partition's lock: a second consumer still holding a
 * revoked partition waits here, then sees the records as already settled.
 */
async function lockPartition(trx: Executor, batch: PartitionKey, hooks: SettleHooks): Promise<bigint> {
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
  if (topicRecreated) {
    hooks.onTopicRecreated?.(storedNext.toString(), batch.highWatermark ?? '')
    return 0n
  }
  return storedNext
}

/**
 * Stores the partition's next offset, never moving it back (a part of a batch
 * settled again after a retry ends below what a later part stored), except
 * over a recreated topic, whose offsets started again at 0.
 */
async function storeNextOffset(trx: Executor, batch: PartitionKey, nextOffset: string): Promise<void> {
  const recreated = batch.highWatermark === undefined ? sql<boolean>`false` : sql<boolean>`next_offset > ${batch.highWatermark}::bigint`
  await trx
    .updateTable('kafka_offsets')
    .set({ next_offset: sql`case when ${recreated} then ${nextOffset}::bigint else greatest(next_offset, ${nextOffset}::bigint) end`, updated_at: sql`now()` })
    .where('consumer_group', '=', batch.consumerGroup)
    .where('topic', '=', batch.topic)
    .where('partition', '=', batch.partition)
    .execute()
}

/** Text Postgres can store: no NUL characters, at most `max` characters. */
const storable = (text: string, max = 4000): string => text.replaceAll('\u0000', '').slice(0, max)

/**
 * Dead-letters one record whose own transaction failed (`SETTLE_FAILED`, the
 * error as detail): its `rejected_taps` row, the DLQ (before commit), and the
 * offset past it, in one transaction. A record already below the stored
 * offset (settled by another consumer meanwhile) is left alone.
 */
export async function deadLetterRecord(db: Db, batch: PartitionKey, message: KafkaMessage, detail: string, hooks: SettleHooks = {}): Promise<SettleResult> {
  const nextOffset = (BigInt(message.offset) + 1n).toString()
  return db.transaction().execute(async (trx) => {
    const settledBefore = await lockPartition(trx, batch, hooks)
    const rejected: RejectedRecord[] = []
    if (BigInt(message.offset) >= settledBefore) {
      // Tap id and card when the record decodes, to find it by; cleaned, since they may be what Postgres refused.
      const decoded = decodeTapMessage(message)
      const ids = decoded.ok ? { tapId: storable(decoded.event.tapId, 200), cardToken: storable(decoded.event.cardToken, 200) } : {}
      rejected.push({ offset: message.offset, code: 'SETTLE_FAILED', detail: storable(detail), message, ...ids })
      await insertRejected(trx, batch.topic, batch.partition, rejected)
      await hooks.publishRejected?.(rejected)
      await storeNextOffset(trx, batch, nextOffset)
    }
    hooks.assertStillOwned?.()
    return { nextOffset, recorded: 0, duplicates: 0, skippedAlreadySettled: rejected.length === 0 ? 1 : 0, rejected, transfers: 0, cardsRated: 0, denied: [], restored: [] }
  })
}
