/**
 * Whose fault a failed batch is, and finding the record at fault.
 *
 * A batch whose transaction fails for a reason of its records (Postgres
 * refusing a value, a constraint, the fare engine throwing) is settled again
 * in halves, each half its own transaction storing its own next offset, in
 * order, down to single records; a single record that still fails is
 * dead-lettered, in a transaction that also stores the offset past it. So the
 * good records around a poison one are settled exactly once, and the
 * partition moves on.
 *
 * A failure that is not the records' fault (Postgres down or restarting, a
 * deadlock, the DLQ unreachable) is never split: the caller retries the whole
 * batch after a backoff, and nothing good is dead-lettered.
 */
import type { KafkaMessage } from '@fare/platform'
import type { SettleResult } from './settle.ts'

/** The partition was taken from this ledger mid-batch: commit nothing, settle nothing more. */
export class PartitionRevokedError extends Error {}

// SQLSTATE classes and codes that say nothing about the records: connection
// exceptions (08), insufficient resources (53), operator intervention (57:
// admin shutdown, cannot connect now, query cancelled), system errors (58),
// serialization failure, deadlock, lock not available.
const TRANSIENT_SQLSTATE_CLASSES = new Set(['08', '53', '57', '58'])
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '55P03'])
// Socket errors (Node), and what pg says of a connection that died under it.
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
])
const TRANSIENT_MESSAGES = new RegExp(
  [
    /connection terminated|connection error|not queryable|terminating connection/.source,
    /timeout exceeded when trying to connect|client was closed|the database system is (starting up|shutting down|in recovery)/.source,
  ].join('|'),
  'i',
)

/** True when the error says nothing about the records (retry the same batch later); false when a record may be at fault. */
export function isTransient(err: unknown): boolean {
  if (err instanceof PartitionRevokedError) return true
  if (!(err instanceof Error)) return false
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') {
    if (/^[0-9A-Z]{5}$/.test(code)) return TRANSIENT_SQLSTATE_CLASSES.has(code.slice(0, 2)) || TRANSIENT_SQLSTATES.has(code)
    if (TRANSIENT_NODE_CODES.has(code)) return true
  }
  // kafkajs errors (the DLQ topic unreachable) are never a record's fault.
  if (err.name.startsWith('KafkaJS')) return true
  if (TRANSIENT_MESSAGES.test(err.message)) return true
  const cause = (err as { cause?: unknown }).cause
  return cause !== undefined && cause !== err && isTransient(cause)
}

/** The error as one line for `rejected_taps.detail` and the DLQ header: SQLSTATE or name, then message. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const code = (err as { code?: unknown }).code
  const detail = (err as { detail?: unknown }).detail
  return `${typeof code === 'string' ? code : err.name}: ${err.message}${typeof detail === 'string' ? ` (${detail})` : ''}`
}

export interface IsolationSteps {
  /** Settles these records in one transaction (or throws, having committed nothing). */
  settle(messages: readonly KafkaMessage[]): Promise<SettleResult>
  /** Dead-letters one record in one transaction that stores the offset past it. */
  deadLetter(message: KafkaMessage, err: unknown): Promise<SettleResult>
  /** Told each time a failed part is split (logging, metrics). */
  onSplit?(messages: readonly KafkaMessage[], err: unknown): void
  /** Between parts: keep the group membership alive during a long search. */
  between?(): Promise<void>
}

/**
 * Settles the records, splitting on failures that may be a record's fault.
 * Throws (having committed only whole parts, each with its offset) on a
 * transient failure or a revoked partition; the caller retries the batch, and
 * the parts already settled are skipped by their stored offset.
 */
export async function settleIsolating(messages: readonly KafkaMessage[], steps: IsolationSteps): Promise<SettleResult[]> {
  try {
    return [await steps.settle(messages)]
  } catch (err) {
    if (isTransient(err)) throw err
    if (messages.length > 1) {
      steps.onSplit?.(messages, err)
      const middle = Math.ceil(messages.length / 2)
      const first = await settleIsolating(messages.slice(0, middle), steps)
      await steps.between?.()
      return [...first, ...(await settleIsolating(messages.slice(middle), steps))]
    }
    // A lone record: once more before blaming it, in case the failure passed
    // and was of a kind not recognised above.
    const message = messages[0] as KafkaMessage
    try {
      return [await steps.settle(messages)]
    } catch (again) {
      if (isTransient(again)) throw again
      return [await steps.deadLetter(message, again)]
    }
  }
}

/** Backoff before the n-th retry (1-based) of a batch that failed transiently: 250 ms doubling, at most `maxMs`. */
export function backoffMs(attempt: number, maxMs = 30_000): number {
  return Math.min(maxMs, 250 * 2 ** Math.min(attempt - 1, 20))
}
