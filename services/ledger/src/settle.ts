/**
 * One Kafka batch of one partition, settled in one Postgres transaction: taps
 * recorded once (tap id unique), the touched cards re-rated with the fare
 * engine, only the differences posted as balanced transfers, cached balances
 * and the deny list moved, rejected records written, and the partition's next
 * offset stored, all or nothing. A crash anywhere leaves Postgres at the
 * previous batch, and the redelivered records are recognised by their offsets
 * and tap ids.
 */

import { type DenyCheck, type Executor, postTransfers, refreshDenyList } from '@fare/bookkeeping'
import { DEFAULT_TAP_WINDOW, type SettledTap, type TapWindow } from '@fare/contracts'
import type { Db } from '@fare/db'
import type { RateOptions } from '@fare/fares'
import type { KafkaMessage } from '@fare/platform'
import type { TariffBook } from '@fare/tariffs'
import { type LoadedCard, loadCards, loadPosted, loadSpanTaps } from './card-state.ts'
import { decodeTapMessage } from './decode.ts'
import { maxRideAmount, type PlannedTransfer, type Posted, planCard, type RatedCharge, type Span, spanOf } from './rating.ts'
import { type Candidate, checkRecords, insertRejected, insertTaps, type Reject, type RejectedRecord, unseenTaps } from './records.ts'
import { upsertTapCharges } from './tap-charges.ts'
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

/**
 * The batch, step by step, in one transaction. Each step is timed for the
 * bench (`hooks.onPhase`); without that hook a step is a plain call.
 */
export async function settleBatch(db: Db, batch: PartitionBatch, options: SettleOptions, hooks: SettleHooks = {}): Promise<SettleResult> {
  const last = batch.messages.at(-1)
  if (!last) throw new Error('empty batch')
  const nextOffset = (BigInt(last.offset) + 1n).toString()
  const step = phaseTimer(hooks.onPhase)
  const result = await db.transaction().execute(async (trx) => {
    const fresh = await step('lock offsets + tariffs', () => unsettledMessages(trx, batch, options.tariffs, hooks))
    const { rejected, reject } = rejections()
    const candidates = step('decode', () => checkRecords(fresh, options.tariffs, options.tapWindow ?? DEFAULT_TAP_WINDOW, reject))
    const { unseen, duplicates } = await step('duplicates', () => unseenTaps(trx, candidates, reject))
    const byCard = groupByCard(unseen)
    const currency = options.tariffs.versions.at(-1)?.tariff.currency ?? 'UAH'
    const cards = await step('cards', () => loadCards(trx, [...byCard.keys()], currency))
    const { spans, spanTaps } = await step('span taps', () => loadSpans(trx, byCard, cards, options))
    const posted = await step('posted sums', () =>
      loadPosted(
        trx,
        [...spanTaps.values()].flatMap((list) => list.map((t) => t.tapId)),
        cards,
        spanTaps,
        currency,
      ),
    )
    const rated = step('rate + plan', () => rateCards({ byCard, cards, spans, spanTaps, posted, options, reject, timeEngine: hooks.onPhase !== undefined }))
    hooks.onPhase?.('  of which engine rate()', rated.engineMs)
    // Write: taps, rejects, transfers (one call: each account locked once), deny list, offsets.
    await step('insert taps', () => insertTaps(trx, batch.partition, rated.accepted))
    await step('rejected', () => recordRejected(trx, batch, rejected, hooks))
    // Money last: the hot revenue accounts are locked from here to commit only.
    const transfers = await step('resolve accounts', () => resolveAccounts(db, trx, rated.plans, cards, currency))
    await step('post transfers', () => postTransfers(trx, transfers))
    await step('report rows', () => upsertTapCharges(trx, rated.plans, byCard, spanTaps, batch.partition))
    const deny = await step('deny list', () => moveDenyList(trx, rated.plans, byCard, cards, options))
    await step('offsets', () => storeNextOffset(trx, batch, nextOffset).then(() => hooks.assertStillOwned?.()))
    return {
      nextOffset,
      recorded: rated.accepted.length,
      duplicates,
      skippedAlreadySettled: batch.messages.length - fresh.length,
      rejected,
      transfers: transfers.length,
      cardsRated: rated.plans.length,
      denied: deny.added,
      restored: deny.removed,
    }
  })
  step.end('commit')
  return result
}

interface PhaseTimer {
  /** Runs one step; with a phase hook, reports the wall time since the previous step ended. */
  <T>(phase: string, run: () => T): T
  /** Reports the time since the last step as `phase` (the commit, which is no step of ours). */
  end(phase: string): void
}

function phaseTimer(onPhase: SettleHooks['onPhase']): PhaseTimer {
  if (!onPhase) return Object.assign(<T>(_phase: string, run: () => T): T => run(), { end: (_phase: string): void => undefined })
  let at = performance.now()
  const report = (phase: string): void => {
    const now = performance.now()
    onPhase(phase, now - at)
    at = now
  }
  const timed = <T>(phase: string, run: () => T): T => {
    const out = run()
    if (out instanceof Promise)
      return out.then((value: unknown) => {
        report(phase)
        return value
      }) as T
    report(phase)
    return out
  }
  return Object.assign(timed, { end: report })
}

/** Locks the partition, brings the tariffs up to date, and returns the records not settled before. */
async function unsettledMessages(trx: Executor, batch: PartitionBatch, tariffs: TariffBook, hooks: SettleHooks): Promise<KafkaMessage[]> {
  const settledBefore = await lockPartition(trx, batch, hooks)
  const fresh = batch.messages.filter((m) => BigInt(m.offset) >= settledBefore)
  await tariffs.refresh(trx)
  return fresh
}

/** The batch's rejected records, and the `Reject` the steps add to them with. */
function rejections(): { rejected: RejectedRecord[]; reject: Reject } {
  const rejected: RejectedRecord[] = []
  const reject: Reject = (message, code, detail, event) => {
    rejected.push({ offset: message.offset, code, detail, message, ...(event ? { tapId: event.tapId, cardToken: event.cardToken } : {}) })
  }
  return { rejected, reject }
}

/** The new taps by card token, the tokens sorted (cards are locked and rated in one order). */
function groupByCard(taps: readonly Candidate[]): Map<string, Candidate[]> {
  const byCard = new Map<string, Candidate[]>()
  for (const c of taps) {
    const list = byCard.get(c.tap.cardToken)
    if (list) list.push(c)
    else byCard.set(c.tap.cardToken, [c])
  }
  return new Map([...byCard].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

/** Each card's span (what its new taps can re-rate) and the taps recorded in it. */
async function loadSpans(
  trx: Executor,
  byCard: ReadonlyMap<string, readonly Candidate[]>,
  cards: ReadonlyMap<string, LoadedCard>,
  options: SettleOptions,
): Promise<{ spans: Map<string, Span>; spanTaps: Map<string, SettledTap[]> }> {
  const spans = new Map<string, Span>()
  for (const [token, fresh] of byCard)
    spans.set(
      token,
      spanOf(
        options.tariffs,
        fresh.map((c) => c.tap),
        options.rateOptions ?? {},
      ),
    )
  const predecessors = new Map([...cards].map(([token, card]) => [token, card.predecessors]))
  return { spans, spanTaps: await loadSpanTaps(trx, spans, predecessors) }
}

interface CardPlan {
  readonly token: string
  readonly planned: PlannedTransfer[]
  readonly charges: RatedCharge[]
}

/**
 * Rates each touched card and plans the differences to post. A card the
 * engine cannot rate must not stop the partition: its new taps go to the DLQ.
 */
function rateCards(input: {
  byCard: ReadonlyMap<string, readonly Candidate[]>
  cards: ReadonlyMap<string, LoadedCard>
  spans: ReadonlyMap<string, Span>
  spanTaps: ReadonlyMap<string, readonly SettledTap[]>
  posted: Posted
  options: SettleOptions
  reject: Reject
  /** Profiling: sum the time spent inside the engine's `rate` into `engineMs`. */
  timeEngine: boolean
}): { plans: CardPlan[]; accepted: Candidate[]; engineMs: number } {
  const { byCard, cards, spans, spanTaps, posted, options, reject } = input
  const plans: CardPlan[] = []
  const accepted: Candidate[] = []
  let engineMs = 0
  const onRate = input.timeEngine
    ? (ms: number): void => {
        engineMs += ms
      }
    : undefined
  for (const [token, fresh] of byCard) {
    const card = cards.get(token)
    const span = spans.get(token)
    if (!card || !span) throw new Error(`internal: card ${token} not loaded`)
    try {
      const { transfers: planned, charges } = planCard({
        book: options.tariffs,
        profile: card.profile,
        cardToken: token,
        taps: [...(spanTaps.get(token) ?? []), ...fresh.map((c) => c.tap)],
        newTapIds: new Set(fresh.map((c) => c.tap.tapId)),
        span,
        posted,
        options: options.rateOptions ?? {},
        ...(onRate ? { onRate } : {}),
      })
      plans.push({ token, planned, charges })
      accepted.push(...fresh)
    } catch (err) {
      const detail = err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err)
      for (const c of fresh) reject(c.message, 'RATING_FAILED', detail, c.event)
    }
  }
  return { plans, accepted, engineMs }
}

/** The rejected records' rows, then the DLQ: at-least-once, sent before commit; a retry sends again, the rows stay one per record. */
async function recordRejected(trx: Executor, batch: PartitionBatch, rejected: readonly RejectedRecord[], hooks: SettleHooks): Promise<void> {
  await insertRejected(trx, batch.topic, batch.partition, rejected)
  if (rejected.length > 0) await hooks.publishRejected?.(rejected)
}

/** Denies the rated cards now below their credit allowance and restores those back above it. */
async function moveDenyList(
  trx: Executor,
  plans: readonly CardPlan[],
  byCard: ReadonlyMap<string, readonly Candidate[]>,
  cards: ReadonlyMap<string, LoadedCard>,
  options: SettleOptions,
): Promise<{ added: string[]; removed: string[] }> {
  if (plans.length === 0) return { added: [], removed: [] }
  const checks: DenyCheck[] = []
  for (const { token } of plans) {
    const card = cards.get(token)
    const lastTap = (byCard.get(token) ?? []).reduce((a, b) => Math.max(b.tap.ms, a), -Infinity)
    const version = options.tariffs.at(lastTap)
    if (!card || !version) continue
    const maxRide = maxRideAmount(version.tariff, card.profile)
    checks.push({ cardToken: token, maxRideAmount: maxRide, creditAllowance: maxRide.times(options.creditRides ?? 1) })
  }
  return refreshDenyList(trx, checks)
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
  const highWatermark = batch.highWatermark
  await trx
    .updateTable('kafka_offsets')
    .set((eb) => {
      const next = eb.cast<string>(eb.val(nextOffset), 'bigint')
      const forward = eb.fn<string>('greatest', ['next_offset', next])
      return {
        next_offset:
          highWatermark === undefined
            ? forward
            : eb
                .case()
                .when('next_offset', '>', eb.cast<string>(eb.val(highWatermark), 'bigint'))
                .then(next)
                .else(forward)
                .end(),
        updated_at: eb.fn<Date>('now'),
      }
    })
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
    return {
      nextOffset,
      recorded: 0,
      duplicates: 0,
      skippedAlreadySettled: rejected.length === 0 ? 1 : 0,
      rejected,
      transfers: 0,
      cardsRated: 0,
      denied: [],
      restored: [],
    }
  })
}
