/**
 * Which records of a batch become new taps: each record decoded and checked
 * on its own (schema, time, a tariff that knows its route and stop), then tap
 * ids seen before, in the batch or recorded earlier, told apart as duplicates
 * (same content: ignored) or conflicts (different content: rejected). And the
 * rows they become: `taps`, and `rejected_taps` for the rest.
 */

import type { Executor } from '@fare/bookkeeping'
import {
  checkTapWindow,
  type SettledTap,
  sameTap,
  settledTap,
  type TapEvent,
  type TapInput,
  type TapWindow,
  tapInstantMs,
  tapWindowMessage,
} from '@fare/contracts'
import { anyOf, arrayLiteral, type TapRow } from '@fare/db'
import type { KafkaMessage } from '@fare/platform'
import { type TariffBook, unratableReason } from '@fare/tariffs'
import { sql } from 'kysely'
import { decodeTapMessage } from './decode.ts'
import type { RejectCode } from './errors.ts'

export type { RejectCode } from './errors.ts'

export interface RejectedRecord {
  offset: string
  code: RejectCode
  detail: string
  tapId?: string
  cardToken?: string
  message: KafkaMessage
}

/** Records a rejected record (the caller collects them for the DLQ and rejected_taps). */
export type Reject = (message: KafkaMessage, code: RejectCode, detail: string, event?: TapEvent) => void

/** A record that decoded into a tap the tariff can rate. */
export interface Candidate {
  readonly event: TapEvent
  readonly tap: SettledTap
  readonly message: KafkaMessage
}

/** A recorded tap in the event's form, to compare with a new event of its id. */
function recordedTap(
  row: Pick<TapRow, 'tap_id' | 'card_token' | 'kind' | 'tapped_at' | 'route_id' | 'stop_id' | 'vehicle_id' | 'device_id' | 'device_seq'>,
): TapInput & { deviceId: string } {
  return {
    tapId: row.tap_id,
    cardToken: row.card_token,
    kind: row.kind,
    tappedAt: row.tapped_at.toISOString(),
    routeId: row.route_id,
    ...(row.stop_id === null ? {} : { stopId: row.stop_id }),
    ...(row.vehicle_id === null ? {} : { vehicleId: row.vehicle_id }),
    ...(row.device_seq === null ? {} : { deviceSeq: Number(row.device_seq) }),
    deviceId: row.device_id,
  }
}

/** Decodes and checks each record on its own; the rest are rejected. */
export function checkRecords(messages: readonly KafkaMessage[], tariffs: TariffBook, window: TapWindow, reject: Reject): Candidate[] {
  const candidates: Candidate[] = []
  for (const message of messages) {
    const decoded = decodeTapMessage(message)
    if (!decoded.ok) {
      reject(message, decoded.code, decoded.reason)
      continue
    }
    const event = decoded.event
    const tap = settledTap(event)
    // Ingest's check against the same receivedAt and limits: a tap ingest accepted passes it.
    const inWindow = checkTapWindow(tap.ms, tapInstantMs(event.receivedAt), window)
    if (inWindow !== 'ok') {
      reject(message, 'TIME_OUT_OF_RANGE', `tapped at ${event.tappedAt}, received at ${event.receivedAt}: ${tapWindowMessage(inWindow, window)}`, event)
      continue
    }
    const version = tariffs.at(tap.ms)
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
  return candidates
}

/** The candidates whose tap ids are new (first in the batch, not recorded before); duplicates counted, conflicts rejected. */
export async function unseenTaps(trx: Executor, candidates: readonly Candidate[], reject: Reject): Promise<{ unseen: Candidate[]; duplicates: number }> {
  let duplicates = 0
  const firstInBatch = new Map<string, TapEvent>()
  const unique: Candidate[] = []
  for (const c of candidates) {
    const first = firstInBatch.get(c.tap.tapId)
    if (!first) {
      firstInBatch.set(c.tap.tapId, c.event)
      unique.push(c)
    } else if (sameTap(first, c.event)) duplicates++
    else reject(c.message, 'TAP_CONFLICT', `tap id ${c.tap.tapId} already seen in this batch with different content`, c.event)
  }
  const recordedRows =
    unique.length === 0
      ? []
      : await trx
          .selectFrom('taps')
          .select(['tap_id', 'card_token', 'kind', 'tapped_at', 'route_id', 'stop_id', 'vehicle_id', 'device_id', 'device_seq'])
          .where(
            'tap_id',
            '=',
            anyOf(
              unique.map((c) => c.tap.tapId),
              'uuid',
            ),
          )
          .execute()
  const recorded = new Map(recordedRows.map((r) => [r.tap_id, r]))
  const unseen: Candidate[] = []
  for (const c of unique) {
    const row = recorded.get(c.tap.tapId)
    if (!row) {
      unseen.push(c)
      continue
    }
    if (sameTap(recordedTap(row), c.event)) duplicates++
    else reject(c.message, 'TAP_CONFLICT', `tap id ${c.tap.tapId} was recorded before with different content; the first is kept`, c.event)
  }
  return { unseen, duplicates }
}

/** Records the accepted taps (one INSERT from column arrays); a tap id another partition recorded meanwhile fails the batch, whose retry then sees it. */
export async function insertTaps(trx: Executor, partition: number, accepted: readonly Candidate[]): Promise<void> {
  if (accepted.length === 0) return
  // Columns as arrays (unnest): a few parameters instead of 14 per row. Raw sql: Kysely cannot type an
  // insert from unnest(); the column list is the `taps` table's (TapRow), checked by the tests that read it back.
  const n = accepted.length
  const col = (f: (c: Candidate) => string | null): string => {
    const out = new Array<string | null>(n)
    for (let i = 0; i < n; i++) out[i] = f(accepted[i] as Candidate)
    return arrayLiteral(out)
  }
  const result = await sql`
    insert into taps (tap_id, card_token, kind, tapped_at, tapped_at_text, route_id, stop_id, vehicle_id, device_id, operator_id, device_seq, received_at,
                      kafka_partition, kafka_offset)
    select u.tap_id, u.card_token, u.kind, u.tapped_at, u.tapped_at_text, u.route_id, u.stop_id, u.vehicle_id, u.device_id, u.operator_id, u.device_seq,
           u.received_at, ${partition}::int, u.kafka_offset
    from unnest(${col((c) => c.event.tapId)}::uuid[], ${col((c) => c.event.cardToken)}::text[], ${col((c) => c.event.kind)}::text[],
                ${col((c) => c.event.tappedAt)}::timestamptz[], ${col((c) => c.event.tappedAt)}::text[], ${col((c) => c.event.routeId)}::text[],
                ${col((c) => c.event.stopId ?? null)}::text[], ${col((c) => c.event.vehicleId ?? null)}::text[], ${col((c) => c.event.deviceId)}::text[],
                ${col((c) => c.event.operatorId)}::text[], ${col((c) => ((c.event.deviceSeq ?? null) === null ? null : String(c.event.deviceSeq)))}::bigint[],
                ${col((c) => c.event.receivedAt)}::timestamptz[], ${col((c) => c.message.offset)}::bigint[])
         with ordinality as u(tap_id, card_token, kind, tapped_at, tapped_at_text, route_id, stop_id, vehicle_id, device_id, operator_id, device_seq,
                              received_at, kafka_offset, n)
    order by u.n
    on conflict (tap_id) do nothing`.execute(trx)
  // Another partition recorded one of these ids meanwhile: retry the batch, which then sees it.
  if (Number(result.numAffectedRows ?? 0n) !== n) throw new Error('a tap id was recorded concurrently; retrying the batch')
}

/** One row per rejected record (kept once, whatever the retries), with the record as received. */
export async function insertRejected(trx: Executor, topic: string, partition: number, rejected: readonly RejectedRecord[]): Promise<void> {
  if (rejected.length === 0) return
  await trx
    .insertInto('rejected_taps')
    .values(
      rejected.map((r) => ({
        topic,
        partition,
        offset: r.offset,
        tap_id: r.tapId ?? null,
        card_token: r.cardToken ?? null,
        code: r.code,
        detail: r.detail,
        value: r.message.value ? r.message.value.toString('utf8').replaceAll('\u0000', '') : null,
      })),
    )
    .onConflict((oc) => oc.columns(['topic', 'partition', 'offset']).doNothing())
    .execute()
}
