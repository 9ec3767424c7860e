/**
 * From a card's taps to legs (docs/fares.md section 3): entry/exit pairing,
 * tap-on-only networks, incomplete legs, unmatched exits and double taps.
 * The taps arrive here already de-duplicated and sorted by (time, tapId).
 */
import type { Tariff } from './model.ts'
import type { Tap } from './request.ts'

export interface TimedTap extends Tap {
  readonly ms: number
}

export type LegStatus = 'complete' | 'incomplete' | 'group'

export interface TapLeg {
  readonly entry: TimedTap
  readonly exit: TimedTap | undefined
  readonly networkId: string
  readonly status: LegStatus
}

export type UnmatchedExitReason = 'no_open_leg' | 'tap_on_only_network' | 'other_network' | 'too_late'

export type TapRole =
  | { readonly kind: 'entry'; readonly legIndex: number }
  | { readonly kind: 'exit'; readonly legIndex: number }
  | { readonly kind: 'unmatched_exit'; readonly reason: UnmatchedExitReason }
  | { readonly kind: 'double_tap'; readonly firstTapId: string }

export interface LegOptionsResolved {
  readonly maxJourneyMinutes: number
  readonly duplicateTapSeconds: number
  readonly groupTap: boolean
}

/**
 * Legs and the role of every tap; roles[i] is the role of taps[i]. (Roles by
 * position rather than by id: the taps are already unique and sorted.)
 */
export function tapsToLegs(tariff: Tariff, taps: readonly TimedTap[], options: LegOptionsResolved): { legs: TapLeg[]; roles: TapRole[] } {
  const legs: TapLeg[] = []
  const roles: TapRole[] = new Array(taps.length)
  // First entry of the current burst per validator: by device, else by route and stop.
  const burstByDevice = new Map<string, TimedTap>()
  const burstByStop = new Map<string, Map<string, TimedTap>>()
  const maxJourneyMs = options.maxJourneyMinutes * 60_000
  const duplicateMs = options.duplicateTapSeconds * 1000
  // The leg waiting for its exit, if any (only on tap-out networks).
  let openIndex = -1
  let openEntry: TimedTap | undefined
  let openNetwork = ''

  for (let position = 0; position < taps.length; position++) {
    const tap = taps[position] as TimedTap
    const networkId = tariff.routes.get(tap.routeId)?.networkId ?? ''
    const tapOnOnly = tariff.tapOnOnlyNetworkIds.has(networkId)
    if (tap.kind === 'entry') {
      let byStop: Map<string, TimedTap> | undefined
      const stopKey = tap.stopId ?? ''
      let first: TimedTap | undefined
      if (tap.deviceId !== undefined) first = burstByDevice.get(tap.deviceId)
      else {
        byStop = burstByStop.get(tap.routeId)
        if (!byStop) {
          byStop = new Map()
          burstByStop.set(tap.routeId, byStop)
        }
        first = byStop.get(stopKey)
      }
      if (first !== undefined && tap.ms - first.ms <= duplicateMs) {
        if (options.groupTap) {
          roles[position] = { kind: 'entry', legIndex: legs.length }
          legs.push({ entry: tap, exit: undefined, networkId, status: 'group' })
        } else {
          roles[position] = { kind: 'double_tap', firstTapId: first.tapId }
        }
        continue
      }
      if (tap.deviceId !== undefined) burstByDevice.set(tap.deviceId, tap)
      else (byStop as Map<string, TimedTap>).set(stopKey, tap)
      // Another entry closes nothing: a leg still waiting for its exit stays incomplete.
      openEntry = undefined
      roles[position] = { kind: 'entry', legIndex: legs.length }
      if (tapOnOnly) {
        legs.push({ entry: tap, exit: undefined, networkId, status: 'complete' })
      } else {
        openIndex = legs.length
        openEntry = tap
        openNetwork = networkId
        legs.push({ entry: tap, exit: undefined, networkId, status: 'incomplete' })
      }
      continue
    }
    // An exit.
    if (tapOnOnly) {
      roles[position] = { kind: 'unmatched_exit', reason: 'tap_on_only_network' }
      continue
    }
    if (!openEntry) {
      roles[position] = { kind: 'unmatched_exit', reason: 'no_open_leg' }
      continue
    }
    if (openNetwork !== networkId) {
      roles[position] = { kind: 'unmatched_exit', reason: 'other_network' }
      continue
    }
    if (tap.ms - openEntry.ms > maxJourneyMs) {
      roles[position] = { kind: 'unmatched_exit', reason: 'too_late' }
      openEntry = undefined
      continue
    }
    legs[openIndex] = { entry: openEntry, exit: tap, networkId, status: 'complete' }
    roles[position] = { kind: 'exit', legIndex: openIndex }
    openEntry = undefined
  }
  return { legs, roles }
}
