/**
 * Admin: register a validator with its public key, list them, read one, revoke
 * it. A revoked device gets no new access token; the one it holds dies within
 * its short lifetime (ingest verifies offline).
 *
 * A device's `lastSeenAt` is when it last traded an assertion for an access
 * token (routes/auth.ts writes it beside the assertion it already records). A
 * working validator does that at least once per token lifetime (10 minutes by
 * default), so this is "seen" to within that, at one write per token. Its last
 * tap upload would be more precise but costs ingest a Postgres write on its
 * hot path (or a scan of taps per device here).
 */

import { DeviceKeyError, parseDevicePublicKey } from '@fare/auth'
import { DeviceId, ErrorBody, OperatorId, PEM_TEXT_PATTERN } from '@fare/contracts'
import type { Db, Device } from '@fare/db'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import { adminOnly } from '../admin.ts'
import { DeviceExists, DeviceNotFound, KeyInvalid, OperatorNotFound } from '../errors.ts'

const RegisterDevice = Type.Object(
  { id: DeviceId, operatorId: OperatorId, publicKeyPem: Type.String({ minLength: 1, maxLength: 4096, pattern: PEM_TEXT_PATTERN }) },
  {
    additionalProperties: false,
    examples: [
      {
        id: 'val-bus-0012',
        operatorId: 'lutsk-bus',
        publicKeyPem:
          '-----BEGIN PUBLIC KEY-----\n' +
          'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEVTR1LzPwhl4YmFMapWDhj6mgwRji\n' +
          'vTHLL8Y5cwwT/fo2sxF1iRiXCK4JDMnAytCXgrAXGySQ7tSxeApHSBW0Tw==\n' +
          '-----END PUBLIC KEY-----\n',
      },
    ],
  },
)

/** A registered validator that has fetched an access token; the examples /docs shows. */
const DEVICE_EXAMPLE = {
  id: 'val-bus-0012',
  operatorId: 'lutsk-bus',
  algorithm: 'ES256',
  status: 'active',
  revokedAt: null,
  lastSeenAt: '2026-12-02T08:55:12.000Z',
  createdAt: '2026-11-30T10:00:00.000Z',
} as const

/** A device as the admin routes answer it, shown with `example`. */
function deviceView(example: object) {
  return Type.Object(
    {
      id: Type.String(),
      operatorId: Type.String(),
      algorithm: Type.String(),
      status: Type.Union([Type.Literal('active'), Type.Literal('revoked')]),
      revokedAt: Type.Union([Type.String(), Type.Null()]),
      /** When it last traded an assertion for an access token; null: never. */
      lastSeenAt: Type.Union([Type.String(), Type.Null()]),
      createdAt: Type.String(),
    },
    { additionalProperties: false, examples: [example] },
  )
}
const DeviceView = deviceView(DEVICE_EXAMPLE)
const RegisteredDeviceView = deviceView({ ...DEVICE_EXAMPLE, lastSeenAt: null })
const RevokedDeviceView = deviceView({ ...DEVICE_EXAMPLE, status: 'revoked', revokedAt: '2026-12-02T10:30:00.000Z' })

const PAGE_MAX = 500
const DeviceListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_MAX, default: 100 })),
    /** The last id of the previous page. */
    after: Type.Optional(DeviceId),
  },
  { additionalProperties: false },
)
const DeviceList = Type.Object(
  {
    devices: Type.Array(DeviceView),
    /** Pass as `after` for the next page; null on the last page. */
    next: Type.Union([Type.String(), Type.Null()]),
  },
  {
    additionalProperties: false,
    examples: [
      {
        devices: [DEVICE_EXAMPLE],
        next: 'val-bus-0012',
      },
    ],
  },
)

function view(device: Device) {
  return {
    id: device.id,
    operatorId: device.operator_id,
    algorithm: parseDevicePublicKey(device.public_key_pem).algorithm,
    status: device.status,
    revokedAt: device.revoked_at ? new Date(device.revoked_at).toISOString() : null,
    lastSeenAt: device.last_token_at ? new Date(device.last_token_at).toISOString() : null,
    createdAt: new Date(device.created_at).toISOString(),
  }
}

export const deviceRoutes: FastifyPluginAsync<{ db: Db; now: () => Date }> = async (plugin, options) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>()
  const params = Type.Object({ id: DeviceId }, { additionalProperties: false })

  app.post(
    '/v1/devices',
    {
      onRequest: adminOnly,
      schema: {
        summary: 'Register a validator and its public key (admin)',
        tags: ['devices'],
        body: RegisterDevice,
        response: { 201: RegisteredDeviceView, '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const { id, operatorId, publicKeyPem } = request.body
      let key: ReturnType<typeof parseDevicePublicKey>
      try {
        key = parseDevicePublicKey(publicKeyPem)
      } catch (err) {
        if (err instanceof DeviceKeyError) throw new KeyInvalid(err.message)
        throw err
      }
      const operator = await options.db.selectFrom('operators').select('id').where('id', '=', operatorId).executeTakeFirst()
      if (!operator) throw new OperatorNotFound(operatorId)
      const inserted = await options.db
        .insertInto('devices')
        .values({ id, operator_id: operatorId, public_key_pem: key.publicKeyPem })
        .onConflict((oc) => oc.column('id').doNothing())
        .returningAll()
        .executeTakeFirst()
      if (!inserted) throw new DeviceExists(id)
      return reply.status(201).send(view(inserted))
    },
  )

  app.get(
    '/v1/devices',
    {
      onRequest: adminOnly,
      schema: {
        summary: 'Registered devices by id, a page at a time, with when each was last seen (admin)',
        tags: ['devices'],
        querystring: DeviceListQuery,
        response: { 200: DeviceList, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100
      let query = options.db
        .selectFrom('devices')
        .selectAll()
        .orderBy('id')
        .limit(limit + 1)
      if (request.query.after !== undefined) query = query.where('id', '>', request.query.after)
      const rows = await query.execute()
      const page = rows.slice(0, limit)
      return { devices: page.map(view), next: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null }
    },
  )

  app.get(
    '/v1/devices/:id',
    { onRequest: adminOnly, schema: { summary: 'A registered device (admin)', tags: ['devices'], params, response: { 200: DeviceView, '4xx': ErrorBody } } },
    async (request) => {
      const device = await options.db.selectFrom('devices').selectAll().where('id', '=', request.params.id).executeTakeFirst()
      if (!device) throw new DeviceNotFound()
      return view(device)
    },
  )

  app.post(
    '/v1/devices/:id/revoke',
    {
      onRequest: adminOnly,
      schema: { summary: 'Revoke a device (admin); idempotent', tags: ['devices'], params, response: { 200: RevokedDeviceView, '4xx': ErrorBody } },
    },
    async (request) => {
      const revokedAt = options.now().toISOString()
      await options.db
        .updateTable('devices')
        .set({ status: 'revoked', revoked_at: revokedAt })
        .where('id', '=', request.params.id)
        .where('status', '=', 'active')
        .execute()
      const device = await options.db.selectFrom('devices').selectAll().where('id', '=', request.params.id).executeTakeFirst()
      if (!device) throw new DeviceNotFound()
      return view(device)
    },
  )
}
