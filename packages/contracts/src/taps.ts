/**
 * The tap: what a validator uploads, and the event ingest puts on Kafka.
 * One definition shared by ingest, ledger, api and the validator simulator.
 */
import { Type, type Static } from 'typebox'

export const MAX_TAPS_PER_REQUEST = 500

const Id = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_.:\\-]+$' })

export const TapKind = Type.Union([Type.Literal('entry'), Type.Literal('exit')])
export type TapKind = Static<typeof TapKind>

/** One tap as a validator sends it. The device is never in the body: it comes from the token. */
export const TapInput = Type.Object(
  {
    tapId: Type.String({ format: 'uuid' }),
    cardToken: Type.String({ minLength: 8, maxLength: 128, pattern: '^[A-Za-z0-9_.:\\-]+$' }),
    kind: TapKind,
    tappedAt: Type.String({ format: 'date-time', maxLength: 40 }),
    routeId: Id(64),
    stopId: Type.Optional(Id(64)),
    vehicleId: Type.Optional(Id(64)),
    deviceSeq: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  },
  { additionalProperties: false },
)
export type TapInput = Static<typeof TapInput>

/**
 * The envelope is checked as a whole (400 on failure); each tap is then
 * checked on its own so one bad tap is `rejected` without failing its batch.
 */
export const TapBatchRequest = Type.Object(
  { taps: Type.Array(Type.Unknown(), { minItems: 1 }) },
  { additionalProperties: false },
)
export type TapBatchRequest = Static<typeof TapBatchRequest>

export const ErrorDetail = Type.Object(
  { code: Type.String(), message: Type.String() },
  { additionalProperties: false },
)

export const TapResult = Type.Object(
  {
    tapId: Type.Union([Type.String(), Type.Null()]),
    status: Type.Union([Type.Literal('accepted'), Type.Literal('rejected')]),
    error: Type.Optional(ErrorDetail),
  },
  { additionalProperties: false },
)
export type TapResult = Static<typeof TapResult>

export const TapBatchResponse = Type.Object({ results: Type.Array(TapResult) }, { additionalProperties: false })
export type TapBatchResponse = Static<typeof TapBatchResponse>

export const TAP_EVENT_SCHEMA = 'tap.v1'

/** The record on the `taps` topic (key = card token). */
export const TapEvent = Type.Object(
  {
    schema: Type.Literal(TAP_EVENT_SCHEMA),
    tapId: Type.String({ format: 'uuid' }),
    cardToken: Type.String({ minLength: 1, maxLength: 128 }),
    kind: TapKind,
    tappedAt: Type.String({ format: 'date-time' }),
    routeId: Type.String({ minLength: 1, maxLength: 64 }),
    stopId: Type.Optional(Type.String({ maxLength: 64 })),
    vehicleId: Type.Optional(Type.String({ maxLength: 64 })),
    deviceSeq: Type.Optional(Type.Integer({ minimum: 0 })),
    deviceId: Type.String({ minLength: 1, maxLength: 64 }),
    operatorId: Type.String({ minLength: 1, maxLength: 64 }),
    receivedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
)
export type TapEvent = Static<typeof TapEvent>
