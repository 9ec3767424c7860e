/**
 * The first step of rating: a card's taps de-duplicated by tap id and in
 * (time, tap id) order (docs/fares.md section 3).
 */

import { compareCodePoints } from './code-points.ts'
import { requestInvalid } from './errors.ts'
import type { TimedTap } from './legs.ts'
import type { Tariff } from './model.ts'
import { checkRoute, checkStop, parseTime, type Tap } from './request.ts'
import { parseInstant } from './time/zone.ts'

function sameContent(a: TimedTap, b: TimedTap): boolean {
  return a.kind === b.kind && a.routeId === b.routeId && a.stopId === b.stopId && a.deviceId === b.deviceId && a.ms === b.ms
}

/**
 * De-duplicates by tap id (a repeat counts once; different content is a
 * conflict) and sorts by (time, tapId). Copies of one tap may write its time
 * differently (11:19+02:00, 09:19Z); the text that sorts first is kept, so the
 * charges do not depend on which copy came first.
 */
export function normaliseTaps(tariff: Tariff, taps: readonly Tap[]): TimedTap[] {
  const byId = new Map<string, number>()
  const out: TimedTap[] = []
  let sorted = true
  let previous: TimedTap | undefined
  for (let index = 0; index < taps.length; index++) {
    const tap = taps[index] as Tap
    let ms = parseInstant(tap.time)
    if (ms === undefined) ms = parseTime(tap.time, `taps[${index}] (${tap.tapId}).time`)
    // One shape for every tap (absent fields as undefined): keeps the hot code monomorphic.
    const timed = { tapId: tap.tapId, kind: tap.kind, routeId: tap.routeId, stopId: tap.stopId, deviceId: tap.deviceId, time: tap.time, ms } as TimedTap
    const existingAt = byId.get(tap.tapId)
    if (existingAt !== undefined) {
      const existing = out[existingAt] as TimedTap
      if (!sameContent(existing, timed)) {
        throw requestInvalid(`tap ${JSON.stringify(tap.tapId)} appears twice with different content (TAP_CONFLICT)`, { tapId: tap.tapId })
      }
      if (compareCodePoints(timed.time, existing.time) < 0) out[existingAt] = timed
      continue
    }
    if (!tariff.routes.has(tap.routeId)) checkRoute(tariff, tap.routeId, `taps[${index}] (${tap.tapId})`)
    if (tap.stopId !== undefined && tariff.hasStops && !tariff.stops.has(tap.stopId)) checkStop(tariff, tap.stopId, `taps[${index}] (${tap.tapId})`)
    byId.set(tap.tapId, out.length)
    if (previous !== undefined && (previous.ms > ms || (previous.ms === ms && compareCodePoints(previous.tapId, tap.tapId) > 0))) sorted = false
    previous = timed
    out.push(timed)
  }
  return sorted ? out : out.sort(compareTaps)
}

function compareTaps(a: TimedTap, b: TimedTap): number {
  return a.ms - b.ms || compareCodePoints(a.tapId, b.tapId)
}
