/**
 * fare_transfer_rules.txt: the fare transfer rules between leg groups
 * (docs/fares.md section 2), in file order, and per leg group the largest
 * finite transfer_count of its same-group rules.
 */
import { feedInvalid } from '../../errors.ts'
import type { DurationLimitType, FareTransferRule, FareTransferType, ProductRow } from '../../model.ts'
import type { CsvRow } from '../csv.ts'
import type { FeedReader } from '../feed-reader.ts'
import { integer, reference, unique } from '../fields.ts'

const FILE = 'fare_transfer_rules.txt'

export interface FareTransferRules {
  readonly fareTransferRules: readonly FareTransferRule[]
  readonly maxTransferCount: ReadonlyMap<string, number>
}

export function readFareTransferRules(
  feed: FeedReader,
  legGroupIds: ReadonlySet<string>,
  products: ReadonlyMap<string, readonly ProductRow[]>,
): FareTransferRules {
  const fareTransferRules: FareTransferRule[] = []
  const keys = new Set<string>()
  const maxTransferCount = new Map<string, number>()
  for (const row of feed.rows(FILE, false, ['fare_transfer_type'])) {
    const fromLegGroupId = reference(FILE, row, 'from_leg_group_id', legGroupIds, 'leg group')
    const toLegGroupId = reference(FILE, row, 'to_leg_group_id', legGroupIds, 'leg group')
    const productId = reference(FILE, row, 'fare_product_id', products, 'fare product')
    const fareTransferType = integer(FILE, row, 'fare_transfer_type', 0, 2) as FareTransferType | undefined
    if (fareTransferType === undefined) throw feedInvalid(FILE, row.line, 'fare_transfer_type', 'required value is empty')
    const sameGroup = fromLegGroupId === toLegGroupId
    const transferCount = readTransferCount(feed, row, sameGroup)
    const { durationLimitSeconds, durationLimitType } = readDurationLimit(feed, row)
    const key = [fromLegGroupId, toLegGroupId, productId, transferCount, durationLimitSeconds].map((v) => String(v ?? '')).join('\u0000')
    unique(FILE, row, 'fare_product_id', key, keys)
    if (sameGroup && transferCount !== undefined && transferCount > 0) {
      const group = fromLegGroupId ?? ''
      maxTransferCount.set(group, Math.max(maxTransferCount.get(group) ?? 0, transferCount))
    }
    fareTransferRules.push({
      index: fareTransferRules.length,
      line: row.line,
      fromLegGroupId,
      toLegGroupId,
      transferCount,
      durationLimitSeconds,
      durationLimitType,
      fareTransferType,
      productId,
    })
  }
  return { fareTransferRules, maxTransferCount }
}

/** transfer_count: required between the same group (-1 = unlimited, never 0), ignored with a warning between different groups. */
function readTransferCount(feed: FeedReader, row: CsvRow, sameGroup: boolean): number | undefined {
  const transferCount = integer(FILE, row, 'transfer_count', -1, Number.MAX_SAFE_INTEGER)
  if (sameGroup && transferCount === undefined) throw feedInvalid(FILE, row.line, 'transfer_count', 'required when from_leg_group_id equals to_leg_group_id')
  if (!sameGroup && transferCount !== undefined) {
    feed.warn(FILE, row.line, 'transfer_count', 'forbidden when the leg groups differ; ignored')
    return undefined
  }
  if (transferCount === 0) throw feedInvalid(FILE, row.line, 'transfer_count', 'must be -1 or at least 1')
  return transferCount
}

/** duration_limit needs its type; a type without a limit is ignored with a warning. */
function readDurationLimit(feed: FeedReader, row: CsvRow): { durationLimitSeconds: number | undefined; durationLimitType: DurationLimitType | undefined } {
  const durationLimitSeconds = integer(FILE, row, 'duration_limit', 1, Number.MAX_SAFE_INTEGER)
  const durationLimitType = integer(FILE, row, 'duration_limit_type', 0, 3) as DurationLimitType | undefined
  if (durationLimitSeconds !== undefined && durationLimitType === undefined) {
    throw feedInvalid(FILE, row.line, 'duration_limit_type', 'required when duration_limit is given')
  }
  if (durationLimitSeconds === undefined && durationLimitType !== undefined) {
    feed.warn(FILE, row.line, 'duration_limit_type', 'given without duration_limit; ignored')
    return { durationLimitSeconds: undefined, durationLimitType: undefined }
  }
  return { durationLimitSeconds, durationLimitType }
}
