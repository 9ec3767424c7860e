/**
 * The one error catalogue of the fare engine. Every failure the engine reports
 * is a FareError with a stable code; the command line maps codes to exit codes
 * and never prints a stack trace.
 */

export type FareErrorCode = 'FEED_INVALID' | 'REQUEST_INVALID' | 'FARE_NOT_FOUND'

export interface FareErrorDetails {
  readonly file?: string
  readonly line?: number
  readonly field?: string
  readonly [key: string]: unknown
}

export class FareError extends Error {
  readonly code: FareErrorCode
  readonly details: FareErrorDetails | undefined

  constructor(code: FareErrorCode, message: string, details?: FareErrorDetails, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'FareError'
    this.code = code
    this.details = details
  }
}

/** Exit codes of docs/fares.md section 6. */
export const EXIT_CODE: Readonly<Record<FareErrorCode, number>> = {
  FEED_INVALID: 2,
  REQUEST_INVALID: 2,
  FARE_NOT_FOUND: 3,
}

/** A feed error always names the file, the line (1 = header) and the field at fault. */
export function feedInvalid(file: string, line: number, field: string, problem: string): FareError {
  return new FareError('FEED_INVALID', `${file} line ${line}, field ${field}: ${problem}`, { file, line, field })
}

export function requestInvalid(problem: string, details?: FareErrorDetails): FareError {
  return new FareError('REQUEST_INVALID', problem, details)
}

export function fareNotFound(problem: string, details?: FareErrorDetails): FareError {
  return new FareError('FARE_NOT_FOUND', problem, details)
}

export function isFareError(error: unknown): error is FareError {
  return error instanceof FareError
}
