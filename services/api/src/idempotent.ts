/**
 * The api's side of idempotency (docs/administration.md): a money route
 * answers through answerIdempotently, which needs the Idempotency-Key header,
 * scopes the key to the caller (role and subject), hashes the request (route,
 * path parameters, body) and lets @fare/bookkeeping's idempotently run the work
 * once. A repeat gets the first answer with `Idempotent-Replayed: true`.
 */

import { type Answer, IdempotencyConflictError, IdempotencyInProgressError, idempotently, requestHash } from '@fare/bookkeeping'
import type { Database, Db } from '@fare/db'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Transaction } from 'kysely'
import { answering } from './admin.ts'
import { IdempotencyConflict, IdempotencyInProgress, IdempotencyKeyRequired } from './errors.ts'

export interface IdempotencySettings {
  db: Db
  /** How long a repeat waits for a first attempt still running before 409 IDEMPOTENCY_IN_PROGRESS. */
  waitMs: number
}

export async function answerIdempotently<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  settings: IdempotencySettings,
  work: (trx: Transaction<Database>, transferKey: string) => Promise<Answer<T>>,
): Promise<FastifyReply> {
  // The header's shape is checked by the route's schema; here only that it was sent.
  const key = request.headers['idempotency-key']
  if (typeof key !== 'string') throw new IdempotencyKeyRequired()
  const hash = requestHash({ method: request.method, route: request.routeOptions.url, params: request.params, body: request.body })
  try {
    const answer = await answering(() =>
      idempotently(settings.db, { caller: `${request.user.role}:${request.user.sub}`, key, requestHash: hash, waitMs: settings.waitMs }, work),
    )
    if (answer.replayed) reply.header('idempotent-replayed', 'true')
    return reply.status(answer.status).send(answer.body)
  } catch (err) {
    if (err instanceof IdempotencyConflictError) throw new IdempotencyConflict(key)
    if (err instanceof IdempotencyInProgressError) throw new IdempotencyInProgress(key)
    throw err
  }
}
