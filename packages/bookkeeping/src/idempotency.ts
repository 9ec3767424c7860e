/**
 * Exactly one answer per (caller, idempotency key), across processes and
 * restarts. The record is inserted in the same Postgres transaction as the
 * work it guards and holds the answer given, so:
 *  - a retry after the first committed gets the first answer, never a second
 *    transfer;
 *  - a retry while the first is still running waits on the first's
 *    uncommitted row (Postgres makes a conflicting insert wait for the
 *    inserting transaction), then answers what the first answered; after
 *    `waitMs` it gives up with IdempotencyInProgressError;
 *  - a first attempt that failed left nothing (its transaction rolled back),
 *    so a retry with the same key does the work afresh;
 *  - the same key with another request is IdempotencyConflictError, never an
 *    overwrite.
 * Records are kept (they are small); a caller's keys must be unique per caller.
 */
import { createHash } from 'node:crypto'
import type { Database, Db } from '@fare/db'
import type { Transaction } from 'kysely'

export class IdempotencyConflictError extends Error {
  readonly code = 'IDEMPOTENCY_CONFLICT'
  constructor(key: string) {
    super(`idempotency key ${JSON.stringify(key)} was already used with a different request`)
  }
}

export class IdempotencyInProgressError extends Error {
  readonly code = 'IDEMPOTENCY_IN_PROGRESS'
  constructor(key: string) {
    super(`a request with idempotency key ${JSON.stringify(key)} is still running`)
  }
}

export interface IdempotentRequest {
  /** Whose key space: keys of two callers never meet. */
  readonly caller: string
  readonly key: string
  /** requestHash() of everything that makes the request what it is. */
  readonly requestHash: string
  /** How long a retry waits for a first attempt still running (default 10 s). */
  readonly waitMs?: number
}

export interface Answer<T> {
  readonly status: number
  readonly body: T
}

export interface IdempotentAnswer<T> extends Answer<T> {
  /** True when this is the first attempt's answer, given again. */
  readonly replayed: boolean
}

/** sha256 of the value as canonical JSON (object keys sorted), so key order does not matter. */
export function requestHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex')
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined)
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** For the rest of this transaction only (set_config's is_local), as SET LOCAL. */
async function setLockTimeout(trx: Transaction<Database>, value: string): Promise<void> {
  await trx.selectNoFrom((eb) => eb.fn('set_config', [eb.val('lock_timeout'), eb.val(value), eb.lit(true)]).as('lock_timeout')).execute()
}

/** Postgres' lock_not_available: the wait for the first attempt's row timed out. */
const LOCK_NOT_AVAILABLE = '55P03'

/**
 * Runs `work` once per (caller, key) and stores its answer; a repeat gets the
 * stored answer. `work` gets the transaction and a key unique across callers,
 * to put on the transfer it posts (transfers' unique idempotency_key is a
 * second guard that one request never posts twice).
 */
export async function idempotently<T>(
  db: Db,
  request: IdempotentRequest,
  work: (trx: Transaction<Database>, transferKey: string) => Promise<Answer<T>>,
): Promise<IdempotentAnswer<T>> {
  const waitMs = Math.max(1, Math.floor(request.waitMs ?? 10_000))
  try {
    return await db.transaction().execute(async (trx) => {
      await setLockTimeout(trx, `${waitMs}ms`)
      const claimed = await trx
        .insertInto('idempotency_records')
        .values({ caller: request.caller, key: request.key, request_hash: request.requestHash })
        .onConflict((oc) => oc.columns(['caller', 'key']).doNothing())
        .returning('key')
        .executeTakeFirst()
      if (!claimed) {
        const first = await trx
          .selectFrom('idempotency_records')
          .select(['request_hash', 'response_status', 'response_body'])
          .where('caller', '=', request.caller)
          .where('key', '=', request.key)
          .executeTakeFirstOrThrow()
        if (first.request_hash !== request.requestHash) throw new IdempotencyConflictError(request.key)
        return { status: first.response_status as number, body: first.response_body as T, replayed: true }
      }
      // The wait above is the only one bounded: the work itself waits for its locks as long as it must.
      await setLockTimeout(trx, '0')
      const answer = await work(trx, JSON.stringify([request.caller, request.key]))
      await trx
        .updateTable('idempotency_records')
        .set({ response_status: answer.status, response_body: JSON.stringify(answer.body) })
        .where('caller', '=', request.caller)
        .where('key', '=', request.key)
        .execute()
      return { ...answer, replayed: false }
    })
  } catch (err) {
    if ((err as { code?: unknown }).code === LOCK_NOT_AVAILABLE) throw new IdempotencyInProgressError(request.key)
    throw err
  }
}
