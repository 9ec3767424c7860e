/**
 * Admin: register a validator with its public key, read it, revoke it. A
 * revoked device gets no new access token; the one it holds dies within its
 * short lifetime (ingest verifies offline).
 */
import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { authenticate, DeviceKeyError, parseDevicePublicKey, requireRole } from '@fare/auth'
import { DeviceId, ErrorBody, OperatorId, PEM_TEXT_PATTERN } from '@fare/contracts'
import type { Db, Device } from '@fare/db'
import { DeviceExists, DeviceNotFound, KeyInvalid, OperatorNotFound } from '../errors.ts'

const RegisterDevice = Type.Object(
  { id: DeviceId, operatorId: OperatorId, publicKeyPem: Type.String({ minLength: 1, maxLength: 4096, pattern: PEM_TEXT_PATTERN }) },
  { additionalProperties: false },
)

const DeviceView = Type.Object(
  {
    id: Type.String(),
    operatorId: Type.String(),
    algorithm: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('revoked')]),
    revokedAt: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
  },
  { additionalProperties: false },
)

function view(device: Device) {
  return {
    id: device.id,
    operatorId: device.operator_id,
    algorithm: parseDevicePublicKey(device.public_key_pem).algorithm,
    status: device.status,
    revokedAt: device.revoked_at ? new Date(device.revoked_at).toISOString() : null,
    createdAt: new Date(device.created_at).toISOString(),
  }
}

/** Admins only, checked before the body is read. */
const adminOnly = [authenticate(), requireRole('admin')]

export const deviceRoutes: FastifyPluginAsync<{ db: Db; now: () => Date }> = async (plugin, options) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>()
  const params = Type.Object({ id: DeviceId }, { additionalProperties: false })

  app.post(
    '/v1/devices',
    {
      onRequest: adminOnly,
      schema: { summary: 'Register a validator and its public key (admin)', tags: ['devices'], body: RegisterDevice, response: { 201: DeviceView, '4xx': ErrorBody } },
    },
    async (request, reply) => {
      const { id, operatorId, publicKeyPem } = request.body
      let key
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
    { onRequest: adminOnly, schema: { summary: 'Revoke a device (admin); idempotent', tags: ['devices'], params, response: { 200: DeviceView, '4xx': ErrorBody } } },
    async (request) => {
      const revokedAt = options.now().toISOString()
      await options.db.updateTable('devices').set({ status: 'revoked', revoked_at: revokedAt }).where('id', '=', request.params.id).where('status', '=', 'active').execute()
      const device = await options.db.selectFrom('devices').selectAll().where('id', '=', request.params.id).executeTakeFirst()
      if (!device) throw new DeviceNotFound()
      return view(device)
    },
  )
}
