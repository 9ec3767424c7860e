/**
 * POST /v1/auth/device-token: a validator trades an assertion signed with its
 * registered key for a short-lived access token (docs/validators.md section 2).
 * Every refusal is a 401 with a stable code; the
 * reason is in `details.reason` so a validator's log says what to fix.
 */

import { AssertionError, AUDIENCE, DEVICE_SCOPES, DeviceKeyError, signAccessToken, TokenInvalid, verifyDeviceAssertion } from '@fare/auth'
import { COMPACT_JWT_PATTERN, DeviceId, DeviceTokenResponse, ErrorBody } from '@fare/contracts'
import type { Db } from '@fare/db'
import { withDetails } from '@fare/platform'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { sql } from 'kysely'
import { Type } from 'typebox'
import { DeviceRevoked } from '../errors.ts'

export interface AuthRoutesOptions {
  db: Db
  now: () => Date
  /** The issuer's private key; never logged. */
  privateKeyPem: string
  issuer?: string
  accessTokenTtlSeconds: number
  assertionAudience: string
}

const DeviceTokenRequest = Type.Object(
  {
    deviceId: DeviceId,
    assertion: Type.String({ minLength: 1, maxLength: 4096, pattern: COMPACT_JWT_PATTERN }),
  },
  {
    additionalProperties: false,
    examples: [
      {
        deviceId: 'val-bus-0012',
        assertion:
          'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.' +
          'eyJpc3MiOiJ2YWwtYnVzLTAwMTIiLCJzdWIiOiJ2YWwtYnVzLTAwMTIiLCJhdWQiOiJmYXJlLWRldmljZS10b2tlbiIsImlhdCI6' +
          'MTc5NjIwMTcxMiwiZXhwIjoxNzk2MjAxODMyLCJqdGkiOiI1YjBlM2MxYS05ZDJmLTRlN2ItOGE2Yy0xZjJlM2Q0YzViNmEifQ' +
          '.SAs_zt6DuS_6MVe2PLH0d5O5UsFj6CvTRdw4aanqb36T3ufLyJt9fTqK0kF5Ut_6xKprvSajHEX5GP3T3VQrtA',
      },
    ],
  },
)

/** How often one api process sweeps expired assertion ids. */
const SWEEP_INTERVAL_MS = 60_000

/** The grant is refused (OAuth's invalid_grant); `reason` goes in `details`. Thrown, for errorHandling to answer. */
function refusal(reply: FastifyReply, error: Error, reason: string): Error {
  reply.header('www-authenticate', 'Bearer error="invalid_grant"')
  return withDetails(error, { reason })
}

export const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (plugin, options) => {
  if (!options.privateKeyPem.includes('PRIVATE KEY')) throw new Error('authRoutes: privateKeyPem must be a PEM private key')
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>()
  let lastSweepMs = 0

  app.post(
    '/v1/auth/device-token',
    {
      schema: {
        summary: 'Trade a device-signed assertion for an access token',
        tags: ['auth'],
        body: DeviceTokenRequest,
        response: { 200: DeviceTokenResponse, '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const { deviceId, assertion } = request.body
      const now = options.now()
      const nowSeconds = Math.floor(now.getTime() / 1000)
      const device = await options.db
        .selectFrom('devices')
        .select(['id', 'operator_id', 'public_key_pem', 'status'])
        .where('id', '=', deviceId)
        .executeTakeFirst()
      if (!device) throw refusal(reply, new TokenInvalid('unknown device'), 'unknown_device')
      if (device.status === 'revoked') throw refusal(reply, new DeviceRevoked(), 'revoked')

      let claims: ReturnType<typeof verifyDeviceAssertion>
      try {
        claims = verifyDeviceAssertion(assertion, { deviceId, publicKeyPem: device.public_key_pem, audience: options.assertionAudience, nowSeconds })
      } catch (err) {
        if (err instanceof AssertionError) throw refusal(reply, new TokenInvalid(err.message), err.reason)
        if (err instanceof DeviceKeyError) {
          request.log.error({ deviceId }, 'registered device key is unusable')
          throw refusal(reply, new TokenInvalid('device key unusable'), 'device_key')
        }
        throw err
      }

      // One use per assertion: the primary key refuses a replayed jti, across api processes.
      const inserted = await sql<{ jti: string }>`
        insert into device_assertion_jtis (device_id, jti, expires_at)
        values (${deviceId}, ${claims.jti}, to_timestamp(${claims.exp + 120}))
        on conflict do nothing returning jti`.execute(options.db)
      if (inserted.rows.length === 0) throw refusal(reply, new TokenInvalid('assertion already used'), 'replayed')
      // What GET /v1/devices shows as last seen (routes/devices.ts says why a token, not a tap).
      await options.db.updateTable('devices').set({ last_token_at: now.toISOString() }).where('id', '=', deviceId).execute()
      if (now.getTime() - lastSweepMs > SWEEP_INTERVAL_MS) {
        lastSweepMs = now.getTime()
        await sql`delete from device_assertion_jtis where expires_at < now()`.execute(options.db)
      }

      const scope = DEVICE_SCOPES.join(' ')
      const accessToken = signAccessToken(
        { sub: device.id, role: 'device', operator_id: device.operator_id, scope },
        {
          privateKeyPem: options.privateKeyPem,
          audience: AUDIENCE.ingest,
          expiresInSeconds: options.accessTokenTtlSeconds,
          nowSeconds,
          ...(options.issuer ? { issuer: options.issuer } : {}),
        },
      )
      return { accessToken, tokenType: 'Bearer' as const, expiresIn: options.accessTokenTtlSeconds, scope }
    },
  )
}
