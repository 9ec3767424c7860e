/**
 * POST /v1/taps: a validator uploads 1 to 500 taps. Each tap is checked on its
 * own; the valid ones go to Kafka in one send, and the answer (per tap, in
 * request order) is sent only after Kafka acknowledged. If Kafka fails, the
 * whole request is 503 and nothing is reported accepted.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { authenticate } from '@fare/auth'
import { ErrorBody, MAX_TAPS_PER_REQUEST, TapBatchRequest, TapBatchResponse, tapInputChecker, type TapResult } from '@fare/contracts'
import { BatchTooLarge, BROKER_RETRY_AFTER_SECONDS, BrokerUnavailable, TAP_INVALID, TAP_TIME_OUT_OF_RANGE } from '../errors.ts'
import type { TapSink } from '../tap-producer.ts'
import { tapRecordEncoder, type TapRecord } from '../tap-record.ts'

export interface TapRoutesOptions {
  sink: TapSink
  maxFutureSkewSeconds: number
  maxTapAgeDays: number
  /** The clock is injected so tests can place taps at the skew boundaries. */
  now: () => Date
  onAccepted?: (count: number) => void
  onBrokerUnavailable?: () => void
}

const DAY_MS = 86_400_000

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
      if (device.role !== 'device' || !device.operator_id) {
        return reply.status(403).send({ error: { code: 'SCOPE_DENIED', message: 'only a device token may upload taps' } })
      }
      const now = options.now()
      const receivedAt = now.toISOString()
      const earliest = now.getTime() - options.maxTapAgeDays * DAY_MS
      const latest = now.getTime() + options.maxFutureSkewSeconds * 1000

      const results: TapResult[] = []
      const records: TapRecord[] = []
      const encode = tapRecordEncoder({ deviceId: device.sub, operatorId: device.operator_id, receivedAt })
      const seen = new Set<string>()
      for (const tap of taps) {
        const tapId = typeof (tap as { tapId?: unknown })?.tapId === 'string' ? ((tap as { tapId: string }).tapId.slice(0, 64)) : null
        if (!tapInputChecker.check(tap)) {
          results.push({ tapId, status: 'rejected', error: { code: TAP_INVALID, message: tapInputChecker.firstError(tap) } })
          continue
        }
        const tappedAtMs = Date.parse(tap.tappedAt)
        if (!(tappedAtMs >= earliest && tappedAtMs <= latest)) {
          results.push({ tapId, status: 'rejected', error: { code: TAP_TIME_OUT_OF_RANGE, message: 'tappedAt is too far in the future or past the retention window' } })
          continue
        }
        results.push({ tapId, status: 'accepted' })
        // A tap id twice in one request is one record (the ledger would ignore the second anyway).
        if (seen.has(tap.tapId)) continue
        seen.add(tap.tapId)
        records.push(encode(tap))
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
