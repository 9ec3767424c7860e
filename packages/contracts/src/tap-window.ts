/**
 * How far a tap's time may lie from its arrival at ingest: one check and one
 * set of limits for both services. Ingest checks each upload against the
 * receivedAt it stamps on it; the ledger checks each event against that same
 * receivedAt with the same limits, so a tap ingest accepted always passes the
 * ledger's check (what ingest accepts, the ledger settles; docs/ledger.md).
 */

export interface TapWindow {
  /** A tap older than this before its arrival is past the retention window. */
  readonly maxAgeDays: number
  /** A tap this far after its arrival has a validator clock that is wrong. */
  readonly maxFutureSkewSeconds: number
}

export const DEFAULT_TAP_WINDOW: TapWindow = { maxAgeDays: 31, maxFutureSkewSeconds: 300 }

/** The one method of @fare/platform's EnvReader this needs (contracts depends on no other package). */
interface IntegerEnv {
  integer(name: string, fallback: number, range?: { min?: number; max?: number }): number
}

/** The limits from TAP_MAX_AGE_DAYS and TAP_MAX_FUTURE_SKEW_SECONDS (docs/operations.md), read alike by ingest and the ledger. */
export function readTapWindow(env: IntegerEnv): TapWindow {
  return {
    maxAgeDays: env.integer('TAP_MAX_AGE_DAYS', DEFAULT_TAP_WINDOW.maxAgeDays, { min: 1, max: 366 }),
    maxFutureSkewSeconds: env.integer('TAP_MAX_FUTURE_SKEW_SECONDS', DEFAULT_TAP_WINDOW.maxFutureSkewSeconds, { min: 0, max: 86_400 }),
  }
}

/** Where a tap's time falls: inside the window, or which side of it. Each service answers a non-ok with its own stable code. */
export type TapWindowCheck = 'ok' | 'TOO_OLD' | 'TOO_FAR_AHEAD'

const DAY_MS = 86_400_000

/** Whether a tap at `tappedAtMs` that arrived at `receivedAtMs` is inside the window (both bounds included). */
export function checkTapWindow(tappedAtMs: number, receivedAtMs: number, window: TapWindow): TapWindowCheck {
  if (tappedAtMs > receivedAtMs + window.maxFutureSkewSeconds * 1000) return 'TOO_FAR_AHEAD'
  // Not `<=`-negated: a NaN time (never canonical, but cheap to guard) is out of the window too.
  if (!(tappedAtMs >= receivedAtMs - window.maxAgeDays * DAY_MS)) return 'TOO_OLD'
  return 'ok'
}

/** The window's two sides as words, for a rejection's message. */
export function tapWindowMessage(check: Exclude<TapWindowCheck, 'ok'>, window: TapWindow): string {
  return check === 'TOO_OLD'
    ? `tappedAt is more than ${window.maxAgeDays} days before the tap arrived (past the retention window)`
    : `tappedAt is more than ${window.maxFutureSkewSeconds} s after the tap arrived (validator clock ahead)`
}
