/**
 * Admin: tariff drafts (docs/tariffs.md). Upload a GTFS-Fares feed as a draft
 * (a zip archive, or the .txt files as multipart parts), list and read drafts,
 * simulate one on past taps against the tariffs in force, and activate one
 * from a future instant through @fare/tariffs. A draft is never seen by the
 * ledger until it is activated.
 */

import { authenticate, requireRole } from '@fare/auth'
import { ErrorBody, Money, TAP_TIME_MAX_LENGTH, TAP_TIME_PATTERN } from '@fare/contracts'
import type { Db } from '@fare/db'
import { FareError, loadFeedFromFiles, parseInstant, type Tariff } from '@fare/fares'
import { withDetails } from '@fare/platform'
import {
  activateDraft,
  createTariffBook,
  DraftActivationError,
  type DraftSummary,
  type FeedFiles,
  getDraft,
  listDrafts,
  saveDraft,
  TariffVersionError,
} from '@fare/tariffs'
import multipart from '@fastify/multipart'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import {
  EffectiveFromNotFuture,
  FeedInvalid,
  FeedTooLarge,
  FeedUploadInvalid,
  SimulationBusy,
  SimulationRangeInvalid,
  SimulationTooLarge,
  TariffDraftAlreadyActivated,
  TariffDraftNotFound,
  TariffEffectiveFromInvalid,
  TariffVersionConflict,
} from '../errors.ts'
import { checkFeedFileName, FeedCollector, type FeedLimits, readZipFeed } from '../tariffs/feed-upload.ts'
import { countTapsInRange, type SimulationLimits, simulate } from '../tariffs/simulation.ts'

export interface TariffDraftRoutesOptions {
  db: Db
  now: () => Date
  feedLimits: FeedLimits
  simulationLimits: SimulationLimits
}

/** A simulated range is at most this long: a month of taps, rated twice, in one request. */
export const MAX_SIMULATION_DAYS = 31
const SIMULATION_SOCKET_TIMEOUT_MS = 10 * 60_000

const DraftId = Type.String({ minLength: 1, maxLength: 18, pattern: '^[1-9][0-9]{0,17}$', examples: ['42'] })
/** An instant with its UTC offset (RFC 3339), shaped as tap times are. */
const Instant = Type.String({ minLength: 1, maxLength: TAP_TIME_MAX_LENGTH, pattern: TAP_TIME_PATTERN, examples: ['2027-01-01T00:00:00+02:00'] })

const DraftView = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    sha256: Type.String(),
    files: Type.Array(Type.String()),
    uploadedBy: Type.String(),
    createdAt: Type.String(),
    activation: Type.Union([
      Type.Object({ versionId: Type.String(), effectiveFrom: Type.String(), by: Type.String(), at: Type.String() }, { additionalProperties: false }),
      Type.Null(),
    ]),
  },
  {
    additionalProperties: false,
    examples: [
      {
        id: '42',
        name: 'Lutsk 2027',
        sha256: '9f2c...',
        files: ['agency.txt', 'fare_products.txt'],
        uploadedBy: 'admin-1',
        createdAt: '2026-12-02T10:00:00.000Z',
        activation: null,
      },
    ],
  },
)

const DraftList = Type.Object(
  { drafts: Type.Array(DraftView), nextBefore: Type.Union([Type.String(), Type.Null()]) },
  { additionalProperties: false, examples: [{ drafts: [], nextBefore: null }] },
)

const UploadQuery = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\x00-\\x1F\\x7F]+$', examples: ['Lutsk 2027'] }) },
  { additionalProperties: false },
)
const ListQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })), before: Type.Optional(DraftId) },
  { additionalProperties: false },
)

const ActivationBody = Type.Object({ effectiveFrom: Instant }, { additionalProperties: false, examples: [{ effectiveFrom: '2027-01-01T00:00:00+02:00' }] })
const SimulationBody = Type.Object(
  { from: Instant, to: Instant },
  { additionalProperties: false, examples: [{ from: '2026-11-01T00:00:00+02:00', to: '2026-12-01T00:00:00+02:00' }] },
)

const Distribution = Type.Union([
  Type.Object({ min: Money, p10: Money, p25: Money, p50: Money, p75: Money, p90: Money, max: Money }, { additionalProperties: false }),
  Type.Null(),
])
const Side = Type.Object(
  {
    total: Money,
    tapsRated: Type.Integer(),
    tapsUnratable: Type.Integer(),
    tapsUnpriced: Type.Integer(),
    failures: Type.Array(Type.String()),
    caps: Type.Object({ ridersReachingACap: Type.Integer(), windowsReached: Type.Record(Type.String(), Type.Integer()) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
)
const SimulationReport = Type.Object(
  {
    draftId: Type.String(),
    from: Type.String(),
    to: Type.String(),
    cards: Type.Integer(),
    tapsWithoutTariffInForce: Type.Integer(),
    inForce: Side,
    draft: Side,
    difference: Money,
    revenueByOperator: Type.Array(Type.Object({ operatorId: Type.String(), inForce: Money, draft: Money, difference: Money }, { additionalProperties: false })),
    monthlySpend: Type.Object(
      {
        riderMonths: Type.Integer(),
        rises: Type.Object({ count: Type.Integer(), distribution: Distribution }, { additionalProperties: false }),
        falls: Type.Object({ count: Type.Integer(), distribution: Distribution }, { additionalProperties: false }),
        unchanged: Type.Integer(),
      },
      { additionalProperties: false },
    ),
    elapsedMs: Type.Integer(),
  },
  {
    additionalProperties: false,
    examples: [
      {
        draftId: '42',
        from: '2026-11-01T00:00:00.000Z',
        to: '2026-11-02T00:00:00.000Z',
        cards: 1,
        tapsWithoutTariffInForce: 0,
        inForce: {
          total: { amount: '36.00', currency: 'UAH' },
          tapsRated: 2,
          tapsUnratable: 0,
          tapsUnpriced: 0,
          failures: [],
          caps: { ridersReachingACap: 0, windowsReached: {} },
        },
        draft: {
          total: { amount: '40.00', currency: 'UAH' },
          tapsRated: 2,
          tapsUnratable: 0,
          tapsUnpriced: 0,
          failures: [],
          caps: { ridersReachingACap: 0, windowsReached: {} },
        },
        difference: { amount: '4.00', currency: 'UAH' },
        revenueByOperator: [
          {
            operatorId: 'lutsk-bus',
            inForce: { amount: '36.00', currency: 'UAH' },
            draft: { amount: '40.00', currency: 'UAH' },
            difference: { amount: '4.00', currency: 'UAH' },
          },
        ],
        monthlySpend: { riderMonths: 1, rises: { count: 1, distribution: null }, falls: { count: 0, distribution: null }, unchanged: 0 },
        elapsedMs: 3,
      },
    ],
  },
)

function view(draft: DraftSummary) {
  return {
    id: draft.id,
    name: draft.name,
    sha256: draft.sha256,
    files: [...draft.fileNames],
    uploadedBy: draft.uploadedBy,
    createdAt: draft.createdAt.toISOString(),
    activation: draft.activation
      ? {
          versionId: draft.activation.versionId,
          effectiveFrom: draft.activation.effectiveFrom.toISOString(),
          by: draft.activation.by,
          at: draft.activation.at.toISOString(),
        }
      : null,
  }
}

/** The fare engine's verdict on an uploaded feed: FEED_INVALID names the file, line and field. */
function checkFeed(files: FeedFiles): Tariff {
  try {
    return loadFeedFromFiles(files)
  } catch (err) {
    if (err instanceof FareError) throw withDetails(new FeedInvalid(err.message), { ...err.details })
    throw err
  }
}

/** Multipart: every part a file named as its GTFS file; no other fields. */
async function readMultipartFeed(request: FastifyRequest, limits: FeedLimits): Promise<FeedFiles> {
  const collector = new FeedCollector(limits)
  let uploaded = 0
  try {
    // preservePath: the name as sent, so a path is refused rather than cut to its last segment.
    for await (const part of request.parts({
      preservePath: true,
      limits: { fileSize: limits.fileBytes, files: limits.files, fields: 0, parts: limits.files, headerPairs: 20 },
    })) {
      if (part.type !== 'file') throw new FeedUploadInvalid("multipart parts must be the feed's files")
      checkFeedFileName(part.filename)
      const data = await part.toBuffer()
      uploaded += data.length
      if (uploaded > limits.uploadBytes) throw new FeedTooLarge(`the upload is larger than ${limits.uploadBytes} bytes`)
      collector.admit(part.filename, data.length)
      collector.add(part.filename, data)
    }
  } catch (err) {
    // @fastify/multipart's own limits (file size, file count, parts, fields) are this catalogue's FEED_TOO_LARGE.
    const code = (err as { code?: string }).code
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw new FeedTooLarge(`a file is larger than ${limits.fileBytes} bytes`)
    if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT') throw new FeedTooLarge(`more than ${limits.files} files`)
    if (code === 'FST_FIELDS_LIMIT') throw new FeedUploadInvalid("multipart parts must be the feed's files, without other fields")
    throw err
  }
  return collector.files
}

const adminOnly = [authenticate(), requireRole('admin')]

export const tariffDraftRoutes: FastifyPluginAsync<TariffDraftRoutesOptions> = async (plugin, options) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>()
  const { db, feedLimits } = options
  // Parts are read into memory under these limits (readMultipartFeed repeats them per request); nothing is written to disk.
  await app.register(multipart, { limits: { fileSize: feedLimits.fileBytes, files: feedLimits.files, fields: 0 } })
  app.addContentTypeParser('application/zip', { parseAs: 'buffer', bodyLimit: feedLimits.uploadBytes }, (_request, body, done) => done(null, body))
  // The api's own tariff book: parses each published version once, like the ledger's.
  const book = createTariffBook()
  const drafts = new Map<string, Tariff>()
  let simulating = false
  const params = Type.Object({ draftId: DraftId }, { additionalProperties: false })

  app.post(
    '/v1/tariffs/drafts',
    {
      onRequest: adminOnly,
      bodyLimit: feedLimits.uploadBytes,
      schema: {
        summary: 'Upload a GTFS-Fares feed as a tariff draft (admin): application/zip, or multipart/form-data with one part per .txt file',
        tags: ['tariffs'],
        consumes: ['application/zip', 'multipart/form-data'],
        querystring: UploadQuery,
        response: { 201: DraftView, '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      let files: FeedFiles
      if (request.isMultipart()) files = await readMultipartFeed(request, feedLimits)
      else if (Buffer.isBuffer(request.body)) files = await readZipFeed(request.body, feedLimits)
      else throw new FeedUploadInvalid('send the feed as application/zip or as multipart/form-data files')
      checkFeed(files)
      const draft = await saveDraft(db, { name: request.query.name, files, uploadedBy: request.user.sub })
      return reply.status(201).send(view(draft))
    },
  )

  app.get(
    '/v1/tariffs/drafts',
    {
      onRequest: adminOnly,
      schema: { summary: 'Tariff drafts, newest first (admin)', tags: ['tariffs'], querystring: ListQuery, response: { 200: DraftList, '4xx': ErrorBody } },
    },
    async (request) => {
      const limit = request.query.limit ?? 20
      const page = await listDrafts(db, { limit, ...(request.query.before ? { beforeId: request.query.before } : {}) })
      return { drafts: page.map(view), nextBefore: page.length === limit ? (page[page.length - 1]?.id ?? null) : null }
    },
  )

  app.get(
    '/v1/tariffs/drafts/:draftId',
    { onRequest: adminOnly, schema: { summary: 'A tariff draft (admin)', tags: ['tariffs'], params, response: { 200: DraftView, '4xx': ErrorBody } } },
    async (request) => {
      const draft = await getDraft(db, request.params.draftId)
      if (!draft) throw new TariffDraftNotFound()
      return view(draft)
    },
  )

  app.post(
    '/v1/tariffs/drafts/:draftId/simulations',
    {
      onRequest: adminOnly,
      schema: {
        summary: `Rate the taps of a past range (at most ${MAX_SIMULATION_DAYS} days) under the draft and under the tariffs in force, and compare (admin)`,
        tags: ['tariffs'],
        params,
        body: SimulationBody,
        response: { 200: SimulationReport, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const fromMs = parseInstant(request.body.from)
      const toMs = parseInstant(request.body.to)
      if (fromMs === undefined || toMs === undefined) throw new SimulationRangeInvalid('from and to must be times with a UTC offset (RFC 3339)')
      if (toMs <= fromMs) throw new SimulationRangeInvalid('to must be after from')
      if (toMs - fromMs > MAX_SIMULATION_DAYS * 86_400_000) throw new SimulationRangeInvalid(`the range is longer than ${MAX_SIMULATION_DAYS} days`)
      if (simulating) throw new SimulationBusy()
      simulating = true
      try {
        const draft = await getDraft(db, request.params.draftId)
        if (!draft) throw new TariffDraftNotFound()
        const range = { fromMs, toMs }
        const taps = await countTapsInRange(db, range)
        if (taps > options.simulationLimits.maxTaps) throw new SimulationTooLarge(taps, options.simulationLimits.maxTaps)
        let tariff = drafts.get(draft.id)
        if (!tariff) {
          tariff = checkFeed(draft.files)
          // A few drafts are kept parsed; an admin compares a handful at a time.
          if (drafts.size >= 8) drafts.delete(drafts.keys().next().value as string)
          drafts.set(draft.id, tariff)
        }
        // The answer may take longer than the idle timeout of a connection (API_CONNECTION_TIMEOUT_MS); the work is bounded by maxTaps.
        // (An injected request, in tests, has no socket timer.)
        if (typeof request.socket?.setTimeout === 'function') request.socket.setTimeout(SIMULATION_SOCKET_TIMEOUT_MS)
        await book.refresh(db)
        const result = await simulate(db, { draft: tariff, book, range, limits: options.simulationLimits })
        return { draftId: draft.id, from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), ...result }
      } finally {
        simulating = false
      }
    },
  )

  app.post(
    '/v1/tariffs/drafts/:draftId/activation',
    {
      onRequest: adminOnly,
      schema: {
        summary: 'Publish the draft as a tariff version in force from a future instant (admin); repeating it is a no-op',
        tags: ['tariffs'],
        params,
        body: ActivationBody,
        response: { 200: DraftView, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const { effectiveFrom } = request.body
      const effectiveFromMs = parseInstant(effectiveFrom)
      if (effectiveFromMs === undefined) throw new TariffEffectiveFromInvalid(`effectiveFrom ${JSON.stringify(effectiveFrom)} is not a time with a UTC offset`)
      const now = options.now()
      try {
        const draft = await getDraft(db, request.params.draftId)
        if (!draft) throw new TariffDraftNotFound()
        // Repeating an activation already done is answered as it was, even once its instant has passed.
        const repeat = draft.activation !== undefined && draft.activation.effectiveFrom.getTime() === effectiveFromMs
        if (!repeat && effectiveFromMs <= now.getTime()) throw new EffectiveFromNotFuture(effectiveFrom)
        return view(await activateDraft(db, request.params.draftId, { effectiveFrom, by: request.user.sub, at: now }))
      } catch (err) {
        if (err instanceof DraftActivationError)
          throw err.code === 'TARIFF_DRAFT_NOT_FOUND' ? new TariffDraftNotFound() : new TariffDraftAlreadyActivated(err.message)
        if (err instanceof TariffVersionError) {
          if (err.code === 'TARIFF_VERSION_CONFLICT') throw new TariffVersionConflict(err.message)
          if (err.code === 'TARIFF_EFFECTIVE_FROM_INVALID') throw new TariffEffectiveFromInvalid(err.message)
          throw new FeedInvalid(err.message)
        }
        throw err
      }
    },
  )
}
