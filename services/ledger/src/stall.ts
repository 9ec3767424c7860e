/**
 * Stall detection: a partition whose stored offset has not moved for
 * `stallSeconds` while records wait behind it is stalled. Nothing should stall
 * a partition (a record at fault is dead-lettered), so a stall means something
 * outside the records: Postgres unavailable for long, a lock held by someone
 * else, a bug. It is logged with the partition and offset when it starts and
 * when it ends, and /readyz fails while it lasts.
 */
import type { Logger } from '@fare/platform'

/** One partition as last measured: the next offset stored in Postgres and the log end. */
export interface PartitionProgress {
  readonly partition: number
  readonly storedNext: bigint
  readonly high: bigint
}

export interface Stall {
  readonly partition: number
  /** The stored next offset that has not moved: the record to look at is this offset. */
  readonly offset: string
  readonly lag: number
  readonly seconds: number
}

export interface StallWatch {
  /** Takes the latest measurement of every partition. */
  observe(progress: readonly PartitionProgress[], now?: number): void
  /** The partitions stalled now (offset unmoved for the configured time, lag above zero). */
  stalled(now?: number): Stall[]
}

export function createStallWatch(options: { stallSeconds: number; logger: Logger }): StallWatch {
  const stallMs = options.stallSeconds * 1000
  const partitions = new Map<number, { storedNext: bigint; lag: bigint; movedAt: number; reported: boolean }>()

  const isStalled = (p: { lag: bigint; movedAt: number }, now: number): boolean => p.lag > 0n && now - p.movedAt >= stallMs
  const describe = (partition: number, p: { storedNext: bigint; lag: bigint; movedAt: number }, now: number): Stall => ({
    partition,
    offset: p.storedNext.toString(),
    lag: Number(p.lag),
    seconds: Math.floor((now - p.movedAt) / 1000),
  })

  return {
    observe(progress, now = Date.now()) {
      for (const { partition, storedNext, high } of progress) {
        const lag = high > storedNext ? high - storedNext : 0n
        const known = partitions.get(partition)
        // Moved, or nothing waiting: the clock starts again.
        if (!known || known.storedNext !== storedNext || lag === 0n) {
          if (known?.reported) options.logger.info({ partition, offset: storedNext.toString(), lag: Number(lag) }, 'partition moving again')
          partitions.set(partition, { storedNext, lag, movedAt: now, reported: false })
          continue
        }
        known.lag = lag
        if (!known.reported && isStalled(known, now)) {
          known.reported = true
          options.logger.error(
            describe(partition, known, now),
            'partition stalled: its stored offset has not moved while records wait; see "A partition is stalled" in docs/ledger.md',
          )
        }
      }
    },
    stalled(now = Date.now()) {
      return [...partitions].filter(([, p]) => isStalled(p, now)).map(([partition, p]) => describe(partition, p, now))
    },
  }
}
