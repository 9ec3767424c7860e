/**
 * The ledger's error catalogue: why a tap record is rejected. The code is
 * recorded in `rejected_taps.code`, in the `x-reject-code` header of the
 * record's copy on the dead-letter topic, and as the `code` label of
 * ledger_taps_rejected_total. The ledger answers no HTTP error of its own
 * (its health routes use @fare/platform's codes).
 */
export type RejectCode =
  /** The record is not a tap event the ledger reads (not JSON, no version, a field missing or malformed). */
  | 'SCHEMA'
  /** A tap event of a version this ledger has no reader for (a newer ingest ran before its ledger; docs/ledger.md). */
  | 'UNKNOWN_VERSION'
  /** The tap id was seen before, in the batch or recorded earlier, with different content; the first is kept. */
  | 'TAP_CONFLICT'
  /** The tariff version in force at the tap's time has no such route. */
  | 'UNKNOWN_ROUTE'
  /** The tariff version in force at the tap's time lists stops, and not this one. */
  | 'UNKNOWN_STOP'
  /** Tapped too long before, or too far after, ingest received it. */
  | 'TIME_OUT_OF_RANGE'
  /** No tariff version is in force at the tap's time. */
  | 'NO_TARIFF'
  /** The fare engine failed on the card's taps. */
  | 'RATING_FAILED'
  /** The record's own transaction failed when settled alone (Postgres refused it). */
  | 'SETTLE_FAILED'
