/** What validators download: deny-list deltas and the tariff version in force (docs/validators.md sections 4 and 5). */
import { type Static, Type } from 'typebox'

export const DenyListResponse = Type.Object(
  {
    /** A decimal string: versions are Postgres bigints. */
    version: Type.String({ pattern: '^[0-9]+$' }),
    /** True when `added` is the whole list (no `since`, or a `since` the server does not know): replace, do not merge. */
    full: Type.Boolean(),
    added: Type.Array(Type.String()),
    removed: Type.Array(Type.String()),
  },
  // Changes since the version the validator holds: one card blocked, one unblocked after a top-up.
  { additionalProperties: false, examples: [{ version: '1042', full: false, added: ['ct_7f3a9c2e51d04b8a'], removed: ['ct_demo_adult_0001'] }] },
)
export type DenyListResponse = Static<typeof DenyListResponse>

const TariffVersionView = Type.Object(
  { version: Type.String(), name: Type.String(), effectiveFrom: Type.String(), sha256: Type.String(), download: Type.String() },
  { additionalProperties: false },
)

export const TariffResponse = Type.Object(
  {
    version: Type.String(),
    name: Type.String(),
    effectiveFrom: Type.String(),
    sha256: Type.String(),
    download: Type.String(),
    next: Type.Optional(TariffVersionView),
  },
  {
    additionalProperties: false,
    examples: [
      {
        version: '3',
        name: 'Lutsk tariff 2026',
        effectiveFrom: '2026-09-01T01:00:00.000Z',
        sha256: '2903adf6712464bfed87896dc0bc8c60b394b5d7a383cc10363c4299b36c17a4',
        download: '/v1/tariff/3/feed',
        next: {
          version: '4',
          name: 'Lutsk tariff 2027',
          effectiveFrom: '2027-01-01T02:00:00.000Z',
          sha256: '9c41e07d2b5a8f63e1d0c7b4a2f958e36d1c0b7a4e2f9d8c6b5a4e3d2c1b0a9f',
          download: '/v1/tariff/4/feed',
        },
      },
    ],
  },
)
export type TariffResponse = Static<typeof TariffResponse>

export const DeviceTokenResponse = Type.Object(
  { accessToken: Type.String(), tokenType: Type.Literal('Bearer'), expiresIn: Type.Integer(), scope: Type.String() },
  {
    additionalProperties: false,
    examples: [
      {
        accessToken:
          'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.' +
          'eyJzdWIiOiJ2YWwtYnVzLTAwMTIiLCJyb2xlIjoiZGV2aWNlIiwib3BlcmF0b3JfaWQiOiJsdXRzay1idXMiLCJzY29wZSI6InRhcHM6d3JpdGUgZGVueWxp' +
          'c3Q6cmVhZCB0YXJpZmY6cmVhZCIsImF1ZCI6ImZhcmUtaW5nZXN0IiwiaXNzIjoiZmFyZS1hdXRoIiwiaWF0IjoxNzk2MjAxNzEyLCJleHAiOjE3OTYyMDIzMTJ9.' +
          'GQmeTGE8yKDKE1zUnZR1zONUCDgOlgW_8VvzaNHe3FNcvHGJYr5DgZ6gv8OXZulXTOjR1BLUjnSd3zYMGXdPDg',
        tokenType: 'Bearer',
        expiresIn: 600,
        scope: 'taps:write denylist:read tariff:read',
      },
    ],
  },
)
export type DeviceTokenResponse = Static<typeof DeviceTokenResponse>
