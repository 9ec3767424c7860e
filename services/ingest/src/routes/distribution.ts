/**
 * What validators are given back: the deny list as versioned deltas and the
 * tariff version in force. Both answer an ETag and 304 when the validator
 * already has the current version, so polling every few seconds costs little.
 */

import { authenticate } from '@fare/auth'
import { DenyListResponse, ErrorBody, TariffResponse } from '@fare/contracts'
import type { Db } from '@fare/db'
import { type PublishedVersion, publishedVersions, tariffVersionFeed } from '@fare/tariffs'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { sql } from 'kysely'
import { Type } from 'typebox'
import { NoTariffInForce, TariffVersionNotFound } from '../errors.ts'

/** A version's GTFS-Fares files by name; the example shows two of them, shortened (its sha256 is theirs). */
const TariffFeed = Type.Object(
  { version: Type.String(), sha256: Type.String(), files: Type.Record(Type.String(), Type.String()) },
  {
    additionalProperties: false,
    examples: [
      {
        version: '3',
        sha256: '2903adf6712464bfed87896dc0bc8c60b394b5d7a383cc10363c4299b36c17a4',
        files: {
          'fare_media.txt': 'fare_media_id,fare_media_name,fare_media_type\ntransit-card,Lutsk transit card,2\nbank-card,Contactless bank card,3\n',
          'fare_products.txt':
            'fare_product_id,fare_product_name,rider_category_id,amount,currency\n' +
            'bus-single,Bus single fare,adult,18.00,UAH\n' +
            'bus-single,Bus single fare,pupil,9.00,UAH\n',
        },
      },
    ],
  },
)

export interface DistributionRoutesOptions {
  db: Db
  now: () => Date
}

/** 304 has no body, which the typed reply (200 or an error body) cannot express. */
function notModified(reply: unknown): FastifyReply {
  return (reply as FastifyReply).status(304).send()
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag || tag.trim() === '*')
}

export const distributionRoutes: FastifyPluginAsync<DistributionRoutesOptions> = async (plugin, options) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>()
  const { db } = options

  app.get(
    '/v1/deny-list',
    {
      onRequest: authenticate('denylist:read'),
      schema: {
        summary: 'Deny-list changes since a version (full list without since)',
        tags: ['distribution'],
        querystring: Type.Object({ since: Type.Optional(Type.String({ maxLength: 18, pattern: '^(0|[1-9][0-9]{0,17})$' })) }, { additionalProperties: false }),
        response: { 200: DenyListResponse, '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const since = request.query.since === undefined ? undefined : BigInt(request.query.since)
      // One snapshot, so the version and the cards answered agree.
      const answer = await db
        .transaction()
        .setIsolationLevel('repeatable read')
        .setAccessMode('read only')
        .execute(async (trx) => {
          const head = await trx
            .selectFrom('deny_list_changes')
            .select((eb) => eb.fn.max('version').as('version'))
            .executeTakeFirst()
          const version = BigInt((head?.version as string | null | undefined) ?? '0')
          // A validator ahead of the server (a restored database) is given the full list to start over from.
          if (since === undefined || since > version) {
            const rows = await trx.selectFrom('deny_list').select('card_token').orderBy('card_token').execute()
            return { version, full: true, added: rows.map((r) => r.card_token), removed: [] as string[] }
          }
          if (since === version) return { version, full: false, added: [] as string[], removed: [] as string[] }
          // Each card's last action after `since` is what the validator must apply.
          const rows = await sql<{ card_token: string; action: 'add' | 'remove' }>`
            select distinct on (card_token) card_token, action
            from deny_list_changes
            where version > ${String(since)} and version <= ${String(version)}
            order by card_token, version desc`.execute(trx)
          return {
            version,
            full: false,
            added: rows.rows.filter((r) => r.action === 'add').map((r) => r.card_token),
            removed: rows.rows.filter((r) => r.action === 'remove').map((r) => r.card_token),
          }
        })
      const etag = `"v${answer.version}"`
      reply.header('etag', etag).header('cache-control', 'private, no-cache')
      if (matches(request.headers['if-none-match'], etag)) return notModified(reply)
      return { version: String(answer.version), full: answer.full, added: answer.added, removed: answer.removed }
    },
  )

  app.get(
    '/v1/tariff',
    {
      onRequest: authenticate('tariff:read'),
      schema: {
        summary: 'The tariff version in force (and the next one, if scheduled)',
        tags: ['distribution'],
        response: { 200: TariffResponse, '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const { current, next } = await publishedVersions(db, options.now())
      if (!current) throw new NoTariffInForce()
      const describe = (version: PublishedVersion) => ({
        version: version.id,
        name: version.name,
        effectiveFrom: version.effectiveFrom.toISOString(),
        sha256: version.sha256,
        download: `/v1/tariff/${version.id}/feed`,
      })
      const etag = `"${current.sha256}${next ? `+${next.sha256}` : ''}"`
      reply.header('etag', etag).header('cache-control', 'private, no-cache')
      if (matches(request.headers['if-none-match'], etag)) return notModified(reply)
      return { ...describe(current), ...(next ? { next: describe(next) } : {}) }
    },
  )

  app.get(
    '/v1/tariff/:version/feed',
    {
      onRequest: authenticate('tariff:read'),
      schema: {
        summary: 'The GTFS-Fares files of one tariff version',
        tags: ['distribution'],
        params: Type.Object({ version: Type.String({ maxLength: 18, pattern: '^[1-9][0-9]{0,17}$' }) }, { additionalProperties: false }),
        response: { 200: TariffFeed, '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const feed = await tariffVersionFeed(db, request.params.version)
      if (!feed) throw new TariffVersionNotFound()
      const etag = `"${feed.sha256}"`
      reply.header('etag', etag).header('cache-control', 'private, max-age=86400, immutable')
      if (matches(request.headers['if-none-match'], etag)) return notModified(reply)
      return { version: feed.id, sha256: feed.sha256, files: feed.files }
    },
  )
}
