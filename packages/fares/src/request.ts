/**
 * Checks requests (CLI input, library arguments) against the shape of
 * docs/fares.md section 6 and against the tariff: a route, stop, rider category or
 * fare medium the feed lacks is REQUEST_INVALID.
 */
import { requestInvalid } from './errors.ts'
import type { Tariff } from './model.ts'
import { parseDate, parseInstant } from './time/zone.ts'

export interface PriceLegRequest {
  readonly routeId: string
  readonly fromStopId?: string
  readonly toStopId?: string
  readonly departure: string
  readonly arrival?: string
}

export interface PriceRequest {
  readonly riderCategoryId?: string
  readonly fareMediaId?: string
  readonly legs: readonly PriceLegRequest[]
}

export interface Tap {
  readonly tapId: string
  readonly kind: 'entry' | 'exit'
  readonly routeId: string
  readonly stopId?: string
  readonly deviceId?: string
  /** ISO 8601 with offset. */
  readonly time: string
}

export interface RateOptions {
  readonly maxJourneyMinutes?: number
  readonly duplicateTapSeconds?: number
  readonly groupTap?: boolean
}

export interface CardProfile {
  readonly riderCategoryId?: string
  /** Local ISO dates; outside them the default category applies. */
  readonly riderCategoryValidFrom?: string
  readonly riderCategoryValidTo?: string
  readonly fareMediaId?: string
}

export interface RateRequest extends CardProfile {
  readonly options?: RateOptions
  readonly taps: readonly Tap[]
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

function optionalString(source: Record<string, unknown>, key: string, where: string): string | undefined {
  const value = source[key]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string' || value === '') throw requestInvalid(`${where}${key} must be a non-empty string`)
  return value
}

function requiredString(source: Record<string, unknown>, key: string, where: string): string {
  const value = optionalString(source, key, where)
  if (value === undefined) throw requestInvalid(`${where}${key} is required`)
  return value
}

export function parseTime(text: string, where: string): number {
  const ms = parseInstant(text)
  if (ms === undefined) throw requestInvalid(`${where} must be an ISO 8601 time with its UTC offset, got ${JSON.stringify(text)}`)
  return ms
}

export function checkProfile(tariff: Tariff, profile: CardProfile): void {
  if (profile.riderCategoryId !== undefined && !tariff.riderCategories.has(profile.riderCategoryId)) {
    throw requestInvalid(`unknown rider category ${JSON.stringify(profile.riderCategoryId)}`)
  }
  if (profile.fareMediaId !== undefined && !tariff.fareMedia.has(profile.fareMediaId)) {
    throw requestInvalid(`unknown fare medium ${JSON.stringify(profile.fareMediaId)}`)
  }
  for (const key of ['riderCategoryValidFrom', 'riderCategoryValidTo'] as const) {
    const value = profile[key]
    if (value !== undefined && parseDate(value) === undefined) throw requestInvalid(`${key} must be an ISO date, got ${JSON.stringify(value)}`)
  }
}

export function checkRoute(tariff: Tariff, routeId: string, where: string): void {
  if (!tariff.routes.has(routeId)) throw requestInvalid(`${where}: unknown route ${JSON.stringify(routeId)}`)
}

export function checkStop(tariff: Tariff, stopId: string | undefined, where: string): void {
  if (stopId !== undefined && tariff.hasStops && !tariff.stops.has(stopId)) throw requestInvalid(`${where}: unknown stop ${JSON.stringify(stopId)}`)
}

function profileFrom(body: Record<string, unknown>): CardProfile {
  const profile: { -readonly [K in keyof CardProfile]: CardProfile[K] } = {}
  const riderCategoryId = optionalString(body, 'riderCategoryId', '')
  if (riderCategoryId !== undefined) profile.riderCategoryId = riderCategoryId
  const fareMediaId = optionalString(body, 'fareMediaId', '')
  if (fareMediaId !== undefined) profile.fareMediaId = fareMediaId
  const validFrom = optionalString(body, 'riderCategoryValidFrom', '')
  if (validFrom !== undefined) profile.riderCategoryValidFrom = validFrom
  const validTo = optionalString(body, 'riderCategoryValidTo', '')
  if (validTo !== undefined) profile.riderCategoryValidTo = validTo
  return profile
}

export function parsePriceRequest(body: unknown): PriceRequest {
  if (!isObject(body)) throw requestInvalid('the request must be a JSON object')
  const legs = body.legs
  if (!Array.isArray(legs) || legs.length === 0) throw requestInvalid('legs must be a non-empty array')
  return {
    ...profileFrom(body),
    legs: legs.map((leg, index): PriceLegRequest => {
      const where = `legs[${index}].`
      if (!isObject(leg)) throw requestInvalid(`legs[${index}] must be an object`)
      const out: { -readonly [K in keyof PriceLegRequest]: PriceLegRequest[K] } = {
        routeId: requiredString(leg, 'routeId', where),
        departure: requiredString(leg, 'departure', where),
      }
      const from = optionalString(leg, 'fromStopId', where)
      if (from !== undefined) out.fromStopId = from
      const to = optionalString(leg, 'toStopId', where)
      if (to !== undefined) out.toStopId = to
      const arrival = optionalString(leg, 'arrival', where)
      if (arrival !== undefined) out.arrival = arrival
      return out
    }),
  }
}

export function parseRateOptions(value: unknown): RateOptions {
  if (value === undefined || value === null) return {}
  if (!isObject(value)) throw requestInvalid('options must be an object')
  const out: { -readonly [K in keyof RateOptions]: RateOptions[K] } = {}
  for (const key of ['maxJourneyMinutes', 'duplicateTapSeconds'] as const) {
    const v = value[key]
    if (v === undefined || v === null) continue
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw requestInvalid(`options.${key} must be a non-negative number`)
    out[key] = v
  }
  const groupTap = value.groupTap
  if (groupTap !== undefined && groupTap !== null) {
    if (typeof groupTap !== 'boolean') throw requestInvalid('options.groupTap must be true or false')
    out.groupTap = groupTap
  }
  return out
}

export function parseRateRequest(body: unknown): RateRequest {
  if (!isObject(body)) throw requestInvalid('the request must be a JSON object')
  const taps = body.taps
  if (!Array.isArray(taps)) throw requestInvalid('taps must be an array')
  return {
    ...profileFrom(body),
    options: parseRateOptions(body.options),
    taps: taps.map((tap, index): Tap => {
      const where = `taps[${index}].`
      if (!isObject(tap)) throw requestInvalid(`taps[${index}] must be an object`)
      const kind = tap.kind
      if (kind !== 'entry' && kind !== 'exit') throw requestInvalid(`${where}kind must be "entry" or "exit"`)
      const out: { -readonly [K in keyof Tap]: Tap[K] } = {
        tapId: requiredString(tap, 'tapId', where),
        kind,
        routeId: requiredString(tap, 'routeId', where),
        time: requiredString(tap, 'time', where),
      }
      const stopId = optionalString(tap, 'stopId', where)
      if (stopId !== undefined) out.stopId = stopId
      const deviceId = optionalString(tap, 'deviceId', where)
      if (deviceId !== undefined) out.deviceId = deviceId
      return out
    }),
  }
}
