/**
 * The ledger's Prometheus metrics (served at /metrics): consumer lag per
 * partition, stalled partitions, batch size and time, taps per second,
 * transfers posted, rejected records by code, failed batches retried,
 * deny-list changes.
 */

import type { Db } from '@fare/db'
import { type Admin, Counter, Gauge, Histogram, type Registry } from '@fare/platform'
import type { SettleResult } from './settle.ts'
import type { PartitionProgress, Stall } from './stall.ts'

export interface LedgerMetrics {
  observe(result: SettleResult, seconds: number, partition: number): void
  /** Lag per partition: the topic's high watermark minus the next offset stored in Postgres; returns what it measured. */
  updateLag(admin: Admin, db: Db, topic: string, consumerGroup: string): Promise<PartitionProgress[]>
  /** Where the stalled-partition gauge reads at each scrape (the same source as /readyz, so the two agree). */
  reportStalls(source: () => readonly Stall[]): void
  /** A failed batch retried: split to find a record at fault, or whole after a pause. */
  retried(kind: 'split' | 'transient'): void
}

export function createLedgerMetrics(registry: Registry): LedgerMetrics {
  const registers = [registry]
  const taps = new Counter({ name: 'ledger_taps_recorded_total', help: 'Taps recorded (first delivery)', registers })
  const duplicates = new Counter({ name: 'ledger_taps_duplicate_total', help: 'Redelivered or repeated taps (no effect)', registers })
  const rejected = new Counter({ name: 'ledger_taps_rejected_total', help: 'Records sent to the DLQ', labelNames: ['code'], registers })
  const transfers = new Counter({ name: 'ledger_transfers_posted_total', help: 'Transfers posted', registers })
  const deny = new Counter({ name: 'ledger_deny_list_changes_total', help: 'Deny-list changes made by the ledger', labelNames: ['action'], registers })
  const batchSize = new Histogram({
    name: 'ledger_batch_records',
    help: 'Records per settled batch',
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
    registers,
  })
  const batchSeconds = new Histogram({
    name: 'ledger_batch_seconds',
    help: 'Time to settle one batch',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  })
  const tapsPerSecond = new Gauge({ name: 'ledger_taps_per_second', help: 'Taps recorded per second over the last 10 s', registers })
  const lag = new Gauge({ name: 'ledger_consumer_lag', help: 'High watermark minus next offset settled in Postgres', labelNames: ['partition'], registers })
  let stalls: () => readonly Stall[] = () => []
  const measured = new Set<number>()
  new Gauge({
    name: 'ledger_partition_stalled',
    help: 'Partitions whose stored offset has not moved for LEDGER_STALL_SECONDS while lag is above zero (1 = stalled)',
    labelNames: ['partition'],
    registers,
    // Read at scrape time: a stall begins with the passing of time, not at a measurement.
    collect() {
      const stalled = new Set(stalls().map((s) => s.partition))
      for (const partition of new Set([...measured, ...stalled])) this.set({ partition: String(partition) }, stalled.has(partition) ? 1 : 0)
    },
  })
  const retries = new Counter({
    name: 'ledger_batch_retries_total',
    help: 'Failed batches retried: split (searching for the record at fault) or transient (whole, after a pause)',
    labelNames: ['kind'],
    registers,
  })
  const recent: { at: number; n: number }[] = []
  return {
    observe(result, seconds) {
      taps.inc(result.recorded)
      duplicates.inc(result.duplicates)
      transfers.inc(result.transfers)
      for (const r of result.rejected) rejected.inc({ code: r.code })
      if (result.denied.length) deny.inc({ action: 'add' }, result.denied.length)
      if (result.restored.length) deny.inc({ action: 'remove' }, result.restored.length)
      batchSize.observe(result.recorded + result.duplicates + result.rejected.length)
      batchSeconds.observe(seconds)
      const now = Date.now()
      recent.push({ at: now, n: result.recorded })
      while (recent.length > 0 && (recent[0]?.at ?? now) < now - 10_000) recent.shift()
      tapsPerSecond.set(recent.reduce((s, r) => s + r.n, 0) / 10)
    },
    async updateLag(admin, db, topic, consumerGroup) {
      const offsets = await admin.fetchTopicOffsets(topic)
      const stored = await db
        .selectFrom('kafka_offsets')
        .select(['partition', 'next_offset'])
        .where('consumer_group', '=', consumerGroup)
        .where('topic', '=', topic)
        .execute()
      const next = new Map(stored.map((r) => [r.partition, BigInt(r.next_offset)]))
      const progress: PartitionProgress[] = []
      for (const o of offsets) {
        const high = BigInt(o.high)
        const settled = next.get(o.partition) ?? BigInt(o.low)
        lag.set({ partition: String(o.partition) }, Number(high > settled ? high - settled : 0n))
        progress.push({ partition: o.partition, storedNext: settled, high })
        measured.add(o.partition)
      }
      return progress
    },
    reportStalls(source) {
      stalls = source
    },
    retried(kind) {
      retries.inc({ kind })
    },
  }
}
