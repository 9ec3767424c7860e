/**
 * The tariff as the engine uses it: the validated, indexed content of a
 * GTFS-Fares v2 feed plus this project's fare_caps.txt.
 */
import type { Decimal } from '@fare/money'

export interface FeedWarning {
  readonly file: string
  readonly line: number
  readonly field: string
  readonly message: string
}

export interface Agency {
  readonly agencyId: string
  readonly timezone: string
}
export interface Route {
  readonly routeId: string
  readonly agencyId: string
  readonly networkId: string
}
export interface Stop {
  readonly stopId: string
  /** The station the stop belongs to: the top of its parent_station chain, or the stop itself. */
  readonly stationId: string
  /** Time zone of fare events at the stop: its station's for a stop with a station (never its own), else its own; undefined = the agency's. */
  readonly timezone: string | undefined
  /** The stop's own areas, or its station's when it has none of its own. */
  readonly areaIds: readonly string[]
}

export interface ProductRow {
  readonly productId: string
  readonly productName: string
  readonly riderCategoryId: string | undefined
  readonly fareMediaId: string | undefined
  readonly amount: Decimal
  readonly currency: string
  readonly line: number
}

export interface LegRule {
  readonly line: number
  readonly legGroupId: string | undefined
  readonly networkId: string | undefined
  readonly fromAreaId: string | undefined
  readonly toAreaId: string | undefined
  readonly fromTimeframeGroupId: string | undefined
  readonly toTimeframeGroupId: string | undefined
  readonly productId: string
  readonly priority: number
}

export type DurationLimitType = 0 | 1 | 2 | 3
export type FareTransferType = 0 | 1 | 2

/** A row of fare_transfer_rules.txt: the fare of changing from one leg group to another (a GTFS fare transfer, not a money transfer). */
export interface FareTransferRule {
  readonly index: number
  readonly line: number
  readonly fromLegGroupId: string | undefined
  readonly toLegGroupId: string | undefined
  /** -1 = unlimited; undefined where the groups differ. */
  readonly transferCount: number | undefined
  readonly durationLimitSeconds: number | undefined
  readonly durationLimitType: DurationLimitType | undefined
  readonly fareTransferType: FareTransferType
  readonly productId: string | undefined
}

export interface JoinRule {
  readonly line: number
  readonly fromNetworkId: string
  readonly toNetworkId: string
  readonly fromStopId: string | undefined
  readonly toStopId: string | undefined
}

export interface Timeframe {
  readonly line: number
  readonly groupId: string
  readonly startSecond: number
  readonly endSecond: number
  readonly serviceId: string
}

export interface Service {
  /** Index 0 = Monday. */
  readonly weekdays: readonly boolean[]
  readonly startDay: number
  readonly endDay: number
  readonly added: ReadonlySet<number>
  readonly removed: ReadonlySet<number>
}

export interface RiderCategory {
  readonly riderCategoryId: string
  readonly name: string
  readonly isDefault: boolean
}
export interface FareMedium {
  readonly fareMediaId: string
  readonly name: string
  readonly type: number
}

export type CapPeriod =
  | { readonly kind: 'day' }
  | { readonly kind: 'week'; readonly weekStartDay: number }
  | { readonly kind: 'month' }
  | { readonly kind: 'rolling'; readonly durationDays: number }

export interface Cap {
  readonly line: number
  readonly capId: string
  readonly amount: Decimal
  readonly currency: string
  readonly period: CapPeriod
  readonly dayStartSecond: number
  readonly riderCategoryId: string | undefined
  readonly fareMediaId: string | undefined
  readonly networkId: string | undefined
}

export interface Tariff {
  readonly currency: string
  readonly warnings: readonly FeedWarning[]
  readonly agencies: ReadonlyMap<string, Agency>
  /** The first agency's time zone: used where no route or stop says otherwise. */
  readonly defaultTimezone: string
  readonly routes: ReadonlyMap<string, Route>
  /** Whether stops.txt was present (without it any stop id is accepted and has no areas). */
  readonly hasStops: boolean
  readonly stops: ReadonlyMap<string, Stop>
  readonly products: ReadonlyMap<string, readonly ProductRow[]>
  readonly legRules: readonly LegRule[]
  readonly hasRulePriority: boolean
  readonly listedNetworkIds: ReadonlySet<string>
  readonly listedFromAreaIds: ReadonlySet<string>
  readonly listedToAreaIds: ReadonlySet<string>
  readonly fareTransferRules: readonly FareTransferRule[]
  readonly listedFromLegGroupIds: ReadonlySet<string>
  readonly listedToLegGroupIds: ReadonlySet<string>
  /** Per leg group: the largest finite transfer_count of its same-group fare transfer rules. */
  readonly maxTransferCount: ReadonlyMap<string, number>
  readonly joinRules: readonly JoinRule[]
  readonly timeframes: readonly Timeframe[]
  readonly services: ReadonlyMap<string, Service>
  readonly riderCategories: ReadonlyMap<string, RiderCategory>
  readonly defaultRiderCategoryIds: ReadonlySet<string>
  readonly fareMedia: ReadonlyMap<string, FareMedium>
  readonly caps: readonly Cap[]
  /** Networks whose leg rules never use to_area_id or to_timeframe_group_id: an entry is a whole leg. */
  readonly tapOnOnlyNetworkIds: ReadonlySet<string>
}
