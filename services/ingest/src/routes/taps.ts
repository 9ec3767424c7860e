/**
 * POST /v1/taps: a validator uploads 1 to 500 taps. Each tap is read on its
 * own with the tap contract's parser; the valid ones go to Kafka in canonical
 * form in one send, and the answer (per tap, in request order) is sent only
 * after Kafka acknowledged. If Kafka fails, the whole request is 503 and
 * nothing is reported accepted.
 */

import { authenticate, ScopeDenied } from '@fare/auth'
import {
  checkTapWindow,
  ErrorBody,
  MAX_TAPS_PER_REQUEST,
  parseTapContext,
  parseTapInput,
  sameTap,
  TapBatchRequest,
  TapBatchResponse,
  type TapInput,
  type TapRecord,
  type TapResult,
  type TapWindow,
  tapInstantMs,
  tapWindowMessage,
} from '@fare/contracts'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import { BatchTooLarge, BROKER_RETRY_AFTER_SECONDS, BrokerUnavailable, TAP_CONFLICT, TAP_INVALID, TAP_TIME_OUT_OF_RANGE } from '../errors.ts'
import type { TapSink } from '../tap-producer.ts'
import { tapRecordEncoder } from '../tap-record.ts'

export interface TapRoutesOptions {
  sink: TapSink
  tapWindow: TapWindow
  /** The clock is injected so tests can place taps at the skew boundaries. */
  now: () => Date
  onAccepted?: (count: number) => void
  onBrokerUnavailable?: () => void
}

export const tapRoutes: FastifyPluginAsync<TapRoutesOptions> = async (plugin, options) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>()
  app.post(
    '/v1/taps',
    {
      // Authenticated before the body is read: an anonymous caller never costs a parse.
      onRequest: authenticate('taps:write'),
      schema: {
        summary: 'Upload 1 to 500 taps; per-tap status in request order, accepted only once Kafka has them',
        tags: ['taps'],
        body: TapBatchRequest,
        response: { 200: TapBatchResponse, '4xx': ErrorBody, '5xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const { taps } = request.body
      if (taps.length > MAX_TAPS_PER_REQUEST) throw new BatchTooLarge(String(MAX_TAPS_PER_REQUEST))
      const device = request.user
      if (device.role !== 'device' || !device.operator_id) throw new ScopeDenied('only a device token may upload taps')
      const now = options.now()
      // The token's ids go on every record: checked like a tap's fields, so the ledger can read them back.
      const context = parseTapContext({ deviceId: device.sub, operatorId: device.operator_id, receivedAt: now.toISOString() })
      if (!context.ok) throw new ScopeDenied(`this token cannot upload taps: ${context.error}`)

      const results: TapResult[] = []
      const records: TapRecord[] = []
      const encode = tapRecordEncoder(context.value)
      // By canonical id, so case variants of one id are one tap.
      const firstById = new Map<string, TapInput>()
      for (const body of taps) {
        // Answered with the id as sent (so the device recognises it), cut short if it is not an id at all.
        const sentId = typeof (body as { tapId?: unknown })?.tapId === 'string' ? (body as { tapId: string }).tapId.slice(0, 64) : null
        const parsed = parseTapInput(body)
        if (!parsed.ok) {
          results.push({ tapId: sentId, status: 'rejected', error: { code: TAP_INVALID, message: parsed.error } })
          continue
        }
        const tap = parsed.value
        // Against the receivedAt stamped on the record, as the ledger checks it: what is accepted here is settled there.
        const inWindow = checkTapWindow(tapInstantMs(tap.tappedAt), now.getTime(), options.tapWindow)
        if (inWindow !== 'ok') {
          results.push({ tapId: sentId, status: 'rejected', error: { code: TAP_TIME_OUT_OF_RANGE, message: tapWindowMessage(inWindow, options.tapWindow) } })
          continue
        }
        const first = firstById.get(tap.tapId)
        if (first === undefined) {
          firstById.set(tap.tapId, tap)
          records.push(encode(tap))
          results.push({ tapId: sentId, status: 'accepted' })
        } else if (sameTap(first, tap)) {
          // The same tap twice in one request is one record: sent once, accepted for both.
          results.push({ tapId: sentId, status: 'accepted' })
        } else {
          results.push({
            tapId: sentId,
            status: 'rejected',
            error: { code: TAP_CONFLICT, message: `tap id ${tap.tapId} is earlier in this request with different content; the first is kept` },
          })
        }
      }

      if (records.length > 0) {
        try {
          await options.sink.send(records)
        } catch (err) {
          request.log.warn({ err: { message: (err as Error).message, name: (err as Error).name } }, 'kafka send failed')
          options.onBrokerUnavailable?.()
          reply.header('retry-after', String(BROKER_RETRY_AFTER_SECONDS))
          throw new BrokerUnavailable()
        }
        options.onAccepted?.(records.length)
      }
      return { results }
    },
  )
}
