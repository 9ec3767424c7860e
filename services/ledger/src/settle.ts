/**
 * One Kafka batch of one partition, settled in one Postgres transaction: taps
 * recorded once (tap id unique), their charges posted as balanced transfers,
 * cached balances moved, and the partition's next offset stored, all or
 * nothing. A crash anywhere leaves Postgres at the previous batch, and the
 * redelivered records are recognised by their offsets and tap ids.
 */
import { sql } from 'kysely'
import type { Db, NewTap } from '@fare/db'
import { ensureOperator, openCard, postTransfers, revenueAccountId, type Executor, type TransferToPost } from '@fare/bookkeeping'
import type { TapEvent } from '@fare/contracts'
import type { KafkaMessage } from '@fare/platform'
import { decodeTapMessage } from './decode.ts'
import type { Pricer } from './pricing.ts'

export interface PartitionBatch {
  consumerGroup: string
  topic: string
  partition: number
  messages: readonly KafkaMessage[]
}

export interface SettleResult {
  /** Offset to resume from: last record of the batch + 1. */
  nextOffset: string
  recorded: number
  duplicates: number
  skippedAlreadySettled: number
  rejected: { offset: string; reason: string }[]
  transfers: number
}

export interface SettleHooks {
  /** Checked just before commit: a revoked partition must commit nothing. */
  assertStillOwned?: () => void
}

export async function settleBatch(db: Db, batch: PartitionBatch, pricer: Pricer, hooks: SettleHooks = {}): Promise<SettleResult> {
  const last = batch.messages.at(-1)
  if (!last) throw new Error('empty batch')
  const nextOffset = (BigInt(last.offset) + 1n).toString()

  return db.transaction().execute(async (trx) => {
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
    const settledBefore = BigInt(stored.next_offset)
    const fresh = batch.messages.filter((m) => BigInt(m.offset) >= settledBefore)

    const rejected: SettleResult['rejected'] = []
    const events: { event: TapEvent; offset: string }[] = []
    for (const message of fresh) {
      const decoded = decodeTapMessage(message)
      if (decoded.ok) events.push({ event: decoded.event, offset: message.offset })
      else rejected.push({ offset: message.offset, reason: decoded.reason })
    }

    let recorded: TapEvent[] = []
    if (events.length > 0) {
      const rows: NewTap[] = events.map(({ event, offset }) => ({
        tap_id: event.tapId,
        card_token: event.cardToken,
        kind: event.kind,
        tapped_at: event.tappedAt,
        tapped_at_text: event.tappedAt,
        route_id: event.routeId,
        stop_id: event.stopId ?? null,
        vehicle_id: event.vehicleId ?? null,
        device_id: event.deviceId,
        operator_id: event.operatorId,
        device_seq: event.deviceSeq ?? null,
        received_at: event.receivedAt,
        kafka_partition: batch.partition,
        kafka_offset: offset,
      }))
      const inserted = await trx.insertInto('taps').values(rows).onConflict((oc) => oc.column('tap_id').doNothing()).returning('tap_id').execute()
      const insertedIds = new Set(inserted.map((r) => r.tap_id))
      // The same tap id twice in one batch: the first one was inserted, the rest are duplicates.
      const seen = new Set<string>()
      recorded = events
        .map((e) => e.event)
        .filter((e) => insertedIds.has(e.tapId) && !seen.has(e.tapId) && seen.add(e.tapId))
    }

    const transfers = await chargeTransfers(trx, recorded, pricer)
    await postTransfers(trx, transfers)

    await trx
      .updateTable('kafka_offsets')
      .set({ next_offset: nextOffset, updated_at: sql`now()` })
      .where('consumer_group', '=', batch.consumerGroup)
      .where('topic', '=', batch.topic)
      .where('partition', '=', batch.partition)
      .execute()
    hooks.assertStillOwned?.()
    return {
      nextOffset,
      recorded: recorded.length,
      duplicates: events.length - recorded.length,
      skippedAlreadySettled: batch.messages.length - fresh.length,
      rejected,
      transfers: transfers.length,
    }
  })
}

/** Rider account -> operator revenue, one transfer per charged tap. Unknown cards get an account at their first tap. */
async function chargeTransfers(db: Executor, taps: readonly TapEvent[], pricer: Pricer): Promise<TransferToPost[]> {
  const charges = pricer.price(taps).filter((c) => !c.amount.isZero())
  if (charges.length === 0) return []
  const cardByTap = new Map(taps.map((t) => [t.tapId, t.cardToken]))
  const accountByCard = new Map<string, string>()
  const tokens = [...new Set(charges.map((c) => cardByTap.get(c.tapId) ?? ''))]
  const known = await db.selectFrom('cards').select(['card_token', 'account_id']).where('card_token', 'in', tokens).execute()
  for (const row of known) accountByCard.set(row.card_token, row.account_id)
  for (const token of tokens) {
    if (!accountByCard.has(token)) accountByCard.set(token, await openCard(db, { cardToken: token, currency: pricer.currency }))
  }
  const revenueByOperator = new Map<string, string>()
  for (const operatorId of new Set(charges.map((c) => c.operatorId))) {
    // Device tokens name registered operators; a missing row must still not stop the partition.
    await ensureOperator(db, operatorId, operatorId)
    revenueByOperator.set(operatorId, await revenueAccountId(db, operatorId, pricer.currency))
  }
  return charges.map((charge) => {
    const rider = accountByCard.get(cardByTap.get(charge.tapId) ?? '')
    const revenue = revenueByOperator.get(charge.operatorId)
    if (!rider || !revenue) throw new Error(`no account for tap ${charge.tapId}`)
    const positive = charge.amount.isPositive()
    return {
      debitAccountId: positive ? rider : revenue,
      creditAccountId: positive ? revenue : rider,
      amount: charge.amount.abs(),
      currency: pricer.currency,
      kind: 'fare' as const,
      tapId: charge.tapId,
    }
  })
}
