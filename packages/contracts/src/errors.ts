import { Type } from 'typebox'

/** Every HTTP error body has this shape (docs/operations.md, Errors). */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
)

export const Money = Type.Object(
  { amount: Type.String({ pattern: '^-?\\d+(\\.\\d+)?$' }), currency: Type.String({ minLength: 3, maxLength: 3 }) },
  { additionalProperties: false },
)
