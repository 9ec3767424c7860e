/**
 * The one parser of the tap contract: ingest reads an upload with
 * `parseTapInput`, the ledger reads a Kafka record with `parseTapEvent`. Both
 * check the same field schemas and the calendar, and return the canonical
 * form (tap id lower case, times as `canonicalTapTime` writes them), so what
 * ingest accepts is exactly what the ledger can settle.
 */

import type { Static, TObject } from 'typebox'
import { Compile } from 'typebox/compile'
import { canonicalTapTime } from './tap-time.ts'
import { type SettledTap, TAP_EVENT_SCHEMA, TapContext, TapEvent, TapInput } from './taps.ts'

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string }

interface Checker<S extends TObject> {
  check(value: unknown): value is Static<S>
  /** The first problem, as a short sentence naming the field. */
  firstError(value: unknown): string
}

function checker<S extends TObject>(schema: S): Checker<S> {
  const validator = Compile(schema)
  const properties = schema.properties as Record<string, { description?: string } | undefined>
  return {
    check: (value: unknown): value is Static<S> => validator.Check(value),
    firstError(value) {
      for (const error of validator.Errors(value)) {
        const path = error.instancePath || '/'
        if (error.schemaPath.endsWith('additionalProperties')) return `${path} is not a field of a tap`
        // A pattern in a message helps no one: say what the field must be instead.
        const description = error.keyword === 'pattern' ? properties[path.slice(1)]?.description : undefined
        return `${path} ${description === undefined ? error.message : `must be ${description}`}`
      }
      return 'invalid'
    },
  }
}

const inputChecker = checker(TapInput)
const contextChecker = checker(TapContext)
const eventChecker = checker(TapEvent)

const NOT_A_DATE = 'must be a date that exists (RFC 3339 date-time)'

/** The tap's own fields in canonical form, in one fixed order. */
function canonicalInput(tap: TapInput, tappedAt: string): TapInput {
  return {
    tapId: tap.tapId.toLowerCase(),
    cardToken: tap.cardToken,
    kind: tap.kind,
    tappedAt,
    routeId: tap.routeId,
    ...(tap.stopId === undefined ? {} : { stopId: tap.stopId }),
    ...(tap.vehicleId === undefined ? {} : { vehicleId: tap.vehicleId }),
    ...(tap.deviceSeq === undefined ? {} : { deviceSeq: tap.deviceSeq }),
  }
}

/** A tap as a validator uploads it, checked and in canonical form. */
export function parseTapInput(value: unknown): Parsed<TapInput> {
  if (!inputChecker.check(value)) return { ok: false, error: inputChecker.firstError(value) }
  const tappedAt = canonicalTapTime(value.tappedAt)
  if (tappedAt === undefined) return { ok: false, error: `/tappedAt ${NOT_A_DATE}` }
  return { ok: true, value: canonicalInput(value, tappedAt) }
}

/** What ingest adds to each tap of a request (the device, operator and arrival time), checked and in canonical form. */
export function parseTapContext(value: unknown): Parsed<TapContext> {
  if (!contextChecker.check(value)) return { ok: false, error: contextChecker.firstError(value) }
  const receivedAt = canonicalTapTime(value.receivedAt)
  if (receivedAt === undefined) return { ok: false, error: `/receivedAt ${NOT_A_DATE}` }
  return { ok: true, value: { deviceId: value.deviceId, operatorId: value.operatorId, receivedAt } }
}

/**
 * A record of the `taps` topic, checked and in canonical form. A record ingest
 * wrote before the contract was one (an upper-case id, a lower-case `t`, 12
 * fraction digits) comes back canonical; one that cannot be (an offset of
 * +16:00, a UUIDv4) is refused with a reason, like any other record that is
 * not a tap.
 */
export function parseTapEvent(value: unknown): Parsed<TapEvent> {
  if (!eventChecker.check(value)) return { ok: false, error: eventChecker.firstError(value) }
  const tappedAt = canonicalTapTime(value.tappedAt, 'recorded')
  if (tappedAt === undefined) return { ok: false, error: `/tappedAt ${NOT_A_DATE}` }
  const receivedAt = canonicalTapTime(value.receivedAt)
  if (receivedAt === undefined) return { ok: false, error: `/receivedAt ${NOT_A_DATE}` }
  return {
    ok: true,
    value: { schema: TAP_EVENT_SCHEMA, ...canonicalInput(value, tappedAt), deviceId: value.deviceId, operatorId: value.operatorId, receivedAt },
  }
}

/** The instant of a canonical tap time, in milliseconds since the epoch (exact: the canonical form has milliseconds). */
export function tapInstantMs(canonicalTime: string): number {
  return Date.parse(canonicalTime)
}

/**
 * Whether two canonical taps of one id are the same tap: every field equal,
 * times compared as instants. The device counts where both name one (ledger:
 * events and recorded taps); an upload has none (its device is the token's).
 */
export function sameTap(a: TapInput & { deviceId?: string }, b: TapInput & { deviceId?: string }): boolean {
  return (
    a.cardToken === b.cardToken &&
    a.kind === b.kind &&
    tapInstantMs(a.tappedAt) === tapInstantMs(b.tappedAt) &&
    a.routeId === b.routeId &&
    a.stopId === b.stopId &&
    a.vehicleId === b.vehicleId &&
    a.deviceSeq === b.deviceSeq &&
    a.deviceId === b.deviceId
  )
}

/** The tap the ledger settles from a checked event. */
export function settledTap(event: TapEvent): SettledTap {
  return {
    tapId: event.tapId,
    cardToken: event.cardToken,
    kind: event.kind,
    time: event.tappedAt,
    ms: tapInstantMs(event.tappedAt),
    routeId: event.routeId,
    stopId: event.stopId ?? null,
    deviceId: event.deviceId,
    operatorId: event.operatorId,
  }
}
