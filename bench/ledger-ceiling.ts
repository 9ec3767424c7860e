/**
 * For `pnpm bench:ledger`: the ceiling the ledger is compared with, the same
 * tap rows written by plain multi-row INSERTs (2,000 rows a statement) into a
 * table shaped like `taps`, with no rating, no transfers, no locks.
 */

import type { TapEvent } from '@fare/contracts'
import type { Db } from '@fare/db'
import { sql } from 'kysely'

export async function rawInsertCeiling(db: Db, taps: readonly TapEvent[]): Promise<number> {
  await sql`create table if not exists raw_taps (like taps)`.execute(db)
  const started = performance.now()
  for (let i = 0; i < taps.length; i += 2000) {
    const rows = taps.slice(i, i + 2000).map(
      (t, k) =>
        sql`(${t.tapId}::uuid, ${t.cardToken}, ${t.kind}, ${t.tappedAt}::timestamptz, ${t.tappedAt}, ${t.routeId}, ${t.stopId ?? null},
            ${t.deviceId}, ${t.operatorId}, ${t.receivedAt}::timestamptz, 0, ${i + k}, now())`,
    )
    await sql`insert into raw_taps (tap_id, card_token, kind, tapped_at, tapped_at_text, route_id, stop_id, device_id, operator_id, received_at,
        kafka_partition, kafka_offset, recorded_at)
      values ${sql.join(rows)}`.execute(db)
  }
  return (performance.now() - started) / 1000
}
