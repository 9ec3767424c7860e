/**
 * Ingest and api in this process for the validator-protocol tests: a test
 * database of the file's own, topics of its own on the real broker, a test
 * issuer, and helpers that register devices and fetch tokens through the real
 * device-token endpoint. No ledger: these tests are about the edge.
 */
import { randomBytes } from 'node:crypto'
import { type ApiOptions, buildApp as buildApi } from '@fare/api'
import { AUDIENCE, type DeviceKeyAlgorithm, generateDeviceKeyPair, signDeviceAssertion } from '@fare/auth'
import type { TapEvent } from '@fare/contracts'
import { createTestDatabase, type TestDatabase } from '@fare/db/testing'
import { buildApp as buildIngest, createKafkaTapSink, type IngestOptions, type KafkaTapSinkOptions, type TapSink } from '@fare/ingest'
import { createMetricsRegistry, type Kafka } from '@fare/platform'
import type { FastifyInstance } from 'fastify'
import { createTestTopics, type TestTopics } from '../support/kafka.ts'
import { createTestIssuer, type TestIssuer } from '../support/keys.ts'

export interface EdgeStack {
  database: TestDatabase
  topics: TestTopics
  issuer: TestIssuer
  sink: TapSink
  ingest: FastifyInstance
  api: FastifyInstance
  /** Registers a device (through the admin endpoint) and returns its private key. */
  registerDevice(id: string, operatorId?: string, algorithm?: DeviceKeyAlgorithm): Promise<{ privateKeyPem: string; publicKeyPem: string }>
  /** An access token through POST /v1/auth/device-token. */
  deviceToken(id: string, privateKeyPem: string): Promise<string>
  close(): Promise<void>
}

export const OPERATOR = 'op-edge'

export async function startEdgeStack(
  name: string,
  options: { ingest?: Partial<IngestOptions>; api?: ApiOptions; sink?: Partial<KafkaTapSinkOptions> } = {},
): Promise<EdgeStack> {
  const database = await createTestDatabase()
  await database.db.insertInto('operators').values({ id: OPERATOR, name: 'Edge test operator' }).execute()
  const topics = await createTestTopics(name)
  const issuer = createTestIssuer()
  const sink = await createKafkaTapSink(topics.kafka, { topic: topics.taps, timeoutMs: 5000, ...options.sink })
  const ingest = await buildIngest(
    { logger: topics.logger, sink, db: database.db, registry: createMetricsRegistry('ingest'), jwtPublicKeyPem: issuer.publicKeyPem },
    { bodyLimitBytes: 512 * 1024, tokenClockToleranceSeconds: 0, ...options.ingest },
  )
  const api = await buildApi(
    {
      logger: topics.logger,
      db: database.db,
      registry: createMetricsRegistry('api'),
      jwtPublicKeyPem: issuer.publicKeyPem,
      jwtPrivateKeyPem: issuer.privateKeyPem,
    },
    options.api ?? {},
  )
  const admin = issuer.adminToken()
  return {
    database,
    topics,
    issuer,
    sink,
    ingest,
    api,
    async registerDevice(id, operatorId = OPERATOR, algorithm = 'ES256') {
      const keys = generateDeviceKeyPair(algorithm)
      const res = await api.inject({
        method: 'POST',
        url: '/v1/devices',
        headers: { authorization: `Bearer ${admin}` },
        payload: { id, operatorId, publicKeyPem: keys.publicKeyPem },
      })
      if (res.statusCode !== 201) throw new Error(`register ${id}: ${res.statusCode} ${res.body}`)
      return keys
    },
    async deviceToken(id, privateKeyPem) {
      const assertion = signDeviceAssertion({ privateKeyPem, deviceId: id })
      const res = await api.inject({ method: 'POST', url: '/v1/auth/device-token', payload: { deviceId: id, assertion } })
      if (res.statusCode !== 200) throw new Error(`token for ${id}: ${res.statusCode} ${res.body}`)
      return (res.json() as { accessToken: string }).accessToken
    },
    async close() {
      await ingest.close()
      await api.close()
      await sink.close()
      await database.drop()
    },
  }
}

export { AUDIENCE }

/** A valid tap, placed `agoMs` before now. */
export function tapAt(tapId: string, cardToken: string, agoMs = 60_000, extra: Record<string, unknown> = {}) {
  return { tapId, cardToken, kind: 'entry', tappedAt: new Date(Date.now() - agoMs).toISOString(), routeId: '10', stopId: 'S1', vehicleId: 'AC-1234', ...extra }
}

/**
 * Reads a topic from its start until `done`. After a broker restart a new consumer group can wait
 * a long time on a group coordinator that was still loading when it first asked; so an attempt
 * that has seen no record in 20 s is given up and a fresh group tries again, until `timeoutMs`.
 */
export async function readTopic(kafka: Kafka, topic: string, done: (values: TapEvent[]) => boolean, timeoutMs = 60_000): Promise<TapEvent[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const values = await readAttempt(kafka, topic, done, deadline)
    if (values) return values
    if (Date.now() >= deadline) throw new Error(`timed out reading ${topic}: 0 records`)
  }
}

/** One consumer group's attempt: the values once `done`, or undefined when no record came in 20 s. */
async function readAttempt(kafka: Kafka, topic: string, done: (values: TapEvent[]) => boolean, deadline: number): Promise<TapEvent[] | undefined> {
  const consumer = kafka.consumer({ groupId: `reader-${randomBytes(4).toString('hex')}` })
  await consumer.connect()
  const values: TapEvent[] = []
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    return await new Promise<TapEvent[] | undefined>((resolve, reject) => {
      const overall = setTimeout(() => reject(new Error(`timed out reading ${topic}: ${values.length} records`)), Math.max(0, deadline - Date.now()))
      const firstRecord = setTimeout(
        () => {
          if (values.length > 0) return
          clearTimeout(overall)
          resolve(undefined)
        },
        Math.min(20_000, Math.max(0, deadline - Date.now())),
      )
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.value) values.push(JSON.parse(message.value.toString()) as TapEvent)
          if (done(values)) {
            clearTimeout(overall)
            clearTimeout(firstRecord)
            resolve(values)
          }
        },
      })
    })
  } finally {
    await consumer.disconnect()
  }
}
