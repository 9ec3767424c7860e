/**
 * Builds a Tariff from the text of a feed's files and validates it
 * (docs/fares.md section 1). What makes a price impossible to know fails with
 * FEED_INVALID naming file, line and field; what has one obvious reading is
 * a warning, reported and then ignored. One reader per file (readers/), called
 * in the order below, so the first error a feed has is the one reported.
 */
import { type AmountAt, checkAmountRange } from '../compiled.ts'
import type { Cap, LegRule, ProductRow, Tariff } from '../model.ts'
import { FeedReader } from './feed-reader.ts'
import { readAgencies } from './readers/agency.ts'
import { readAreas } from './readers/areas.ts'
import { readCalendar } from './readers/calendar.ts'
import { readFareCaps } from './readers/fare-caps.ts'
import { readFareLegJoinRules } from './readers/fare-leg-join-rules.ts'
import { readFareLegRules } from './readers/fare-leg-rules.ts'
import { readFareMedia } from './readers/fare-media.ts'
import { readFareProducts } from './readers/fare-products.ts'
import { readFareTransferRules } from './readers/fare-transfer-rules.ts'
import { readNetworks } from './readers/networks.ts'
import { readRiderCategories } from './readers/rider-categories.ts'
import { readRoutes } from './readers/routes.ts'
import { readStops } from './readers/stops.ts'
import { readTimeframes } from './readers/timeframes.ts'

export function buildTariff(files: Readonly<Record<string, string>>): Tariff {
  const feed = new FeedReader(files)
  const { agencies, defaultTimezone } = readAgencies(feed)
  const { routes, networkIds } = readRoutes(feed, agencies, readNetworks(feed))
  const areaIds = readAreas(feed)
  const stops = readStops(feed, areaIds)
  const services = readCalendar(feed)
  const timeframes = readTimeframes(feed, services)
  const riderCategories = readRiderCategories(feed)
  const fareMedia = readFareMedia(feed)
  const { products, currency, defaultRiderCategoryIds } = readFareProducts(feed, riderCategories, fareMedia)
  const timeframeGroupIds = new Set(timeframes.map((t) => t.groupId))
  const { legRules, hasRulePriority } = readFareLegRules(feed, { products, networkIds, areaIds, timeframeGroupIds })
  const legGroupIds = new Set(legRules.map((r) => r.legGroupId).filter(isDefined))
  const { fareTransferRules, maxTransferCount } = readFareTransferRules(feed, legGroupIds, products)
  const joinRules = readFareLegJoinRules(feed, networkIds, stops)
  const caps = readFareCaps(feed, { currency, riderCategories, fareMedia, networkIds })
  checkAmounts(products, caps)

  const listed = (pick: (rule: LegRule) => string | undefined): Set<string> => new Set(legRules.map(pick).filter(isDefined))
  const listedNetworkIds = listed((r) => r.networkId)
  return {
    currency,
    warnings: feed.warnings,
    agencies,
    defaultTimezone,
    routes,
    hasStops: feed.has('stops.txt'),
    stops,
    products,
    legRules,
    hasRulePriority,
    listedNetworkIds,
    listedFromAreaIds: listed((r) => r.fromAreaId),
    listedToAreaIds: listed((r) => r.toAreaId),
    fareTransferRules,
    listedFromLegGroupIds: new Set(fareTransferRules.map((r) => r.fromLegGroupId).filter(isDefined)),
    listedToLegGroupIds: new Set(fareTransferRules.map((r) => r.toLegGroupId).filter(isDefined)),
    maxTransferCount,
    joinRules,
    timeframes,
    services,
    riderCategories,
    defaultRiderCategoryIds,
    fareMedia,
    caps,
    tapOnOnlyNetworkIds: tapOnOnlyNetworks(legRules, hasRulePriority, listedNetworkIds, networkIds),
  }
}

const isDefined = (id: string | undefined): id is string => id !== undefined

/** Every amount within the engine's exact integer scheme (compiled.ts), in file order. */
function checkAmounts(products: ReadonlyMap<string, readonly ProductRow[]>, caps: readonly Cap[]): void {
  const amounts: AmountAt[] = []
  for (const rows of products.values()) for (const row of rows) amounts.push({ file: 'fare_products.txt', line: row.line, amount: row.amount })
  amounts.sort((a, b) => a.line - b.line)
  for (const cap of caps) amounts.push({ file: 'fare_caps.txt', line: cap.line, amount: cap.amount })
  checkAmountRange(amounts)
}

/** Networks (and '' for routes without one) whose leg rules never use to_area_id or to_timeframe_group_id: an entry is a whole leg. */
function tapOnOnlyNetworks(
  legRules: readonly LegRule[],
  hasRulePriority: boolean,
  listedNetworkIds: ReadonlySet<string>,
  networkIds: ReadonlySet<string>,
): Set<string> {
  const tapOnOnly = new Set<string>()
  for (const networkId of new Set([...networkIds, ''])) {
    const usesDestination = legRules.some((rule) => {
      const matchesNetwork = rule.networkId === undefined ? hasRulePriority || !listedNetworkIds.has(networkId) : rule.networkId === networkId
      return matchesNetwork && (rule.toAreaId !== undefined || rule.toTimeframeGroupId !== undefined)
    })
    if (!usesDestination) tapOnOnly.add(networkId)
  }
  return tapOnOnly
}
