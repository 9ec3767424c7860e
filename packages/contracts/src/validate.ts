import { Compile } from 'typebox/compile'
import type { TSchema, Static } from 'typebox'
import { TapEvent, TapInput } from './taps.ts'

export interface Checker<T> {
  check(value: unknown): value is T
  /** The first problem, as a short sentence, for error messages. */
  firstError(value: unknown): string
}

function checker<S extends TSchema>(schema: S): Checker<Static<S>> {
  const validator = Compile(schema)
  return {
    check: (value: unknown): value is Static<S> => validator.Check(value),
    firstError(value: unknown): string {
      for (const error of validator.Errors(value)) {
        return `${error.instancePath || '/'} ${error.message}`
      }
      return 'invalid'
    },
  }
}

export const tapInputChecker = checker(TapInput)
export const tapEventChecker = checker(TapEvent)
