/**
 * From a card's taps to legs (FARES.md section 4): entry/exit pairing,
 * tap-on-only networks, incomplete legs, unmatched exits and double taps.
 * The taps arrive here already de-duplicated and sorted by (time, tapId).
 */
import type { Tariff } from '../model.ts'
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

export function tapsToLegs(tariff: Tariff, taps: readonly TimedTap[], options: LegOptionsResolved): { legs: TapLeg[]; roles: Map<string, TapRole> } {
  const legs: TapLeg[] = []
  const roles = new Map<string, TapRole>()
  const burstStart = new Map<string, TimedTap>()
  const maxJourneyMs = options.maxJourneyMinutes * 60_000
  const duplicateMs = options.duplicateTapSeconds * 1000
  // The leg waiting for its exit, if any (only on tap-out networks).
  let open: { index: number; entry: TimedTap; networkId: string } | undefined

  const closeOpen = (): void => {
    open = undefined
  }

  for (const tap of taps) {
    const networkId = tariff.routes.get(tap.routeId)?.networkId ?? ''
    const tapOnOnly = tariff.tapOnOnlyNetworkIds.has(networkId)
    if (tap.kind === 'entry') {
      const validator = tap.deviceId !== undefined ? `d:${tap.deviceId}` : `s:${tap.routeId}\u0000${tap.stopId ?? ''}`
      const first = burstStart.get(validator)
      if (first !== undefined && tap.ms - first.ms <= duplicateMs) {
        if (options.groupTap) {
          roles.set(tap.tapId, { kind: 'entry', legIndex: legs.length })
          legs.push({ entry: tap, exit: undefined, networkId, status: 'group' })
        } else {
          roles.set(tap.tapId, { kind: 'double_tap', firstTapId: first.tapId })
        }
        continue
      }
      burstStart.set(validator, tap)
      // Another entry closes nothing: a leg still waiting for its exit stays incomplete.
      closeOpen()
      roles.set(tap.tapId, { kind: 'entry', legIndex: legs.length })
      if (tapOnOnly) {
        legs.push({ entry: tap, exit: undefined, networkId, status: 'complete' })
      } else {
        open = { index: legs.length, entry: tap, networkId }
        legs.push({ entry: tap, exit: undefined, networkId, status: 'incomplete' })
      }
      continue
    }
    // An exit.
    if (tapOnOnly) {
      roles.set(tap.tapId, { kind: 'unmatched_exit', reason: 'tap_on_only_network' })
      continue
    }
    if (!open) {
      roles.set(tap.tapId, { kind: 'unmatched_exit', reason: 'no_open_leg' })
      continue
    }
    if (open.networkId !== networkId) {
      roles.set(tap.tapId, { kind: 'unmatched_exit', reason: 'other_network' })
      continue
    }
    if (tap.ms - open.entry.ms > maxJourneyMs) {
      roles.set(tap.tapId, { kind: 'unmatched_exit', reason: 'too_late' })
      closeOpen()
      continue
    }
    legs[open.index] = { entry: open.entry, exit: tap, networkId, status: 'complete' }
    roles.set(tap.tapId, { kind: 'exit', legIndex: open.index })
    closeOpen()
  }
  return { legs, roles }
}
