/**
 * The tap at each stage of its path, defined here once and shared by ingest,
 * ledger, api and the validator simulator: `TapInput` (what a validator
 * uploads), `TapEvent` (what ingest puts on Kafka, as a `TapRecord`) and
 * `SettledTap` (what the ledger rates and records). The `taps` table's row is
 * @fare/db's `TapRow`; the fare engine's own input is @fare/fares' `Tap`.
 */
import { type Static, Type } from 'typebox'
import { CARD_TOKEN_MAX_LENGTH, IDENTIFIER_PATTERN } from './strings.ts'
import { RECORDED_TAP_TIME_MAX_LENGTH, RECORDED_TAP_TIME_PATTERN, TAP_TIME_MAX_LENGTH, TAP_TIME_PATTERN } from './tap-time.ts'

export const MAX_TAPS_PER_REQUEST = 500

/*
 * Every string field has a pattern that admits no control character (or is a
 * literal), so nothing a validator sends can put a NUL byte or a line break
 * into Kafka or Postgres. Each `description` completes "must be ..." in an
 * error message.
 */
const Id = (maxLength: number) =>
  Type.String({ minLength: 1, maxLength, pattern: IDENTIFIER_PATTERN, description: `1 to ${maxLength} letters, digits and _ . : -` })

/** RFC 9562 UUIDv7: version nibble 7, variant bits 10; either letter case (written lower case). */
const TAP_ID_PATTERN = '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-7[0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$'
const TapId = Type.String({
  maxLength: 36,
  pattern: TAP_ID_PATTERN,
  description: 'a UUIDv7 (RFC 9562: version 7, variant 10) such as 01927f1c-2a3b-7c4d-8e5f-0123456789ab',
})

const TIME_DESCRIPTION =
  'an RFC 3339 date-time on a real date, with seconds, at most 9 fraction digits and Z or an offset within ±14:00, such as 2026-07-05T08:15:03.120+03:00'
const TapTime = Type.String({ maxLength: TAP_TIME_MAX_LENGTH, pattern: TAP_TIME_PATTERN, description: TIME_DESCRIPTION })
/** A tap time in a record may have more fraction digits (see tap-time.ts). */
const RecordedTapTime = Type.String({
  maxLength: RECORDED_TAP_TIME_MAX_LENGTH,
  pattern: RECORDED_TAP_TIME_PATTERN,
  description: TIME_DESCRIPTION.replace('at most 9 fraction digits', 'a fraction'),
})

const CardToken = (minLength: number) =>
  Type.String({
    minLength,
    maxLength: CARD_TOKEN_MAX_LENGTH,
    pattern: IDENTIFIER_PATTERN,
    description: `${minLength} to ${CARD_TOKEN_MAX_LENGTH} letters, digits and _ . : -`,
  })

export const TapKind = Type.Union([Type.Literal('entry'), Type.Literal('exit')])
export type TapKind = Static<typeof TapKind>

/**
 * One tap as a validator sends it. The device is never in the body: it comes
 * from the token. Read it with `parseTapInput`, which also checks the date and
 * returns the canonical form (docs/validators.md, "Tap fields").
 */
export const TapInput = Type.Object(
  {
    tapId: TapId,
    cardToken: CardToken(8),
    kind: TapKind,
    tappedAt: TapTime,
    routeId: Id(64),
    stopId: Type.Optional(Id(64)),
    vehicleId: Type.Optional(Id(64)),
    deviceSeq: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  },
  { additionalProperties: false },
)
export type TapInput = Static<typeof TapInput>

/** What ingest adds to a tap: the device and operator from the token, and the arrival time from its clock. */
export const TapContext = Type.Object(
  {
    deviceId: Id(64),
    // Operator ids are not restricted to the id characters elsewhere; here they must only be printable.
    operatorId: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[^\\u0000-\\u001F\\u007F-\\u009F]+$',
      description: '1 to 64 characters, none a control character',
    }),
    receivedAt: TapTime,
  },
  { additionalProperties: false },
)
export type TapContext = Static<typeof TapContext>

/**
 * The envelope is checked as a whole (400 on failure); each tap is then
 * checked on its own so one bad tap is `rejected` without failing its batch.
 */
export const TapBatchRequest = Type.Object(
  { taps: Type.Array(Type.Unknown(), { minItems: 1 }) },
  {
    additionalProperties: false,
    examples: [
      {
        taps: [
          {
            tapId: '01a23564-6ad0-73c1-8a2b-4f6e9d0c1b2a',
            cardToken: 'ct_7f3a9c2e51d04b8a',
            kind: 'entry',
            tappedAt: '2026-12-02T08:15:03.120+02:00',
            routeId: 'bus-10',
            stopId: 'S1',
            vehicleId: 'bus-ao1234',
            deviceSeq: 18342,
          },
          // Its validator's clock ran ahead: refused on its own, the batch still answered.
          {
            tapId: '01a235b2-3080-7e04-9c3d-5a7b8c9d0e1f',
            cardToken: 'ct_demo_adult_0001',
            kind: 'entry',
            tappedAt: '2026-12-02T09:40:00.000+02:00',
            routeId: 'bus-10',
            stopId: 'S3',
            vehicleId: 'bus-ao1234',
            deviceSeq: 18343,
          },
        ],
      },
    ],
  },
)
export type TapBatchRequest = Static<typeof TapBatchRequest>

export const ErrorDetail = Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: false })

export const TapResult = Type.Object(
  {
    tapId: Type.Union([Type.String(), Type.Null()]),
    status: Type.Union([Type.Literal('accepted'), Type.Literal('rejected')]),
    error: Type.Optional(ErrorDetail),
  },
  { additionalProperties: false },
)
export type TapResult = Static<typeof TapResult>

export const TapBatchResponse = Type.Object(
  { results: Type.Array(TapResult) },
  {
    additionalProperties: false,
    examples: [
      {
        results: [
          { tapId: '01a23564-6ad0-73c1-8a2b-4f6e9d0c1b2a', status: 'accepted' },
          {
            tapId: '01a235b2-3080-7e04-9c3d-5a7b8c9d0e1f',
            status: 'rejected',
            error: { code: 'TAP_TIME_OUT_OF_RANGE', message: 'tappedAt is more than 300 s after the tap arrived (validator clock ahead)' },
          },
        ],
      },
    ],
  },
)
export type TapBatchResponse = Static<typeof TapBatchResponse>

export const TAP_EVENT_SCHEMA = 'tap.v1'

/**
 * The record on the `taps` topic (key = card token): the tap's own fields,
 * then its context. Read it with `parseTapEvent`. Two fields are wider than
 * an upload's: a card token may be shorter than 8 characters (the ledger
 * settles any token it is given), and the time may have more than 9 fraction
 * digits (ingest wrote such records before the contract; they are cut).
 */
export const TapEvent = Type.Object(
  {
    schema: Type.Literal(TAP_EVENT_SCHEMA),
    ...TapInput.properties,
    cardToken: CardToken(1),
    tappedAt: RecordedTapTime,
    ...TapContext.properties,
  },
  { additionalProperties: false },
)
export type TapEvent = Static<typeof TapEvent>

/**
 * A TapEvent as a record on the `taps` topic: keyed by card token (all of a
 * card's taps go to one partition, in order), the value the TapEvent as JSON.
 */
export interface TapRecord {
  readonly key: string
  readonly value: string
}

/**
 * A tap as the ledger settles it: the fields it rates and records by, with the
 * instant in ms. Made from a checked TapEvent (`settledTap`) or read back from
 * the `taps` table for the span a new tap can re-rate.
 */
export interface SettledTap {
  readonly tapId: string
  readonly cardToken: string
  readonly kind: TapKind
  /** The validator's canonical time (offset included). */
  readonly time: string
  readonly ms: number
  readonly routeId: string
  readonly stopId: string | null
  readonly deviceId: string
  readonly operatorId: string
}
