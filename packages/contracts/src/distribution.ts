/** What validators download: deny-list deltas and the tariff version in force (docs/validators.md sections 4 and 5). */
import { Type, type Static } from 'typebox'

export const DenyListResponse = Type.Object(
  {
    /** A decimal string: versions are Postgres bigints. */
    version: Type.String({ pattern: '^[0-9]+$' }),
    /** True when `added` is the whole list (no `since`, or a `since` the server does not know): replace, do not merge. */
    full: Type.Boolean(),
    added: Type.Array(Type.String()),
    removed: Type.Array(Type.String()),
  },
  { additionalProperties: false },
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
  { additionalProperties: false },
)
export type TariffResponse = Static<typeof TariffResponse>

export const DeviceTokenResponse = Type.Object(
  { accessToken: Type.String(), tokenType: Type.Literal('Bearer'), expiresIn: Type.Integer(), scope: Type.String() },
  { additionalProperties: false },
)
export type DeviceTokenResponse = Static<typeof DeviceTokenResponse>
