/**
 * Tariff drafts: an uploaded feed kept apart from the tariff versions, so it
 * can be looked at and simulated before anything rates with it. The ledger's
 * TariffBook reads only `tariff_versions`; a draft reaches it only through
 * activation, which publishes it with saveTariffVersion (its validation, its
 * idempotency) and records on the draft the version it became.
 */

import type { Db, TariffDraft } from '@fare/db'
import { parseInstant } from '@fare/fares'
import { sql } from 'kysely'
import { type FeedFiles, feedDigest } from './feed.ts'
import { saveTariffVersion } from './store.ts'

export interface DraftSummary {
  readonly id: string
  readonly name: string
  readonly sha256: string
  readonly fileNames: readonly string[]
  readonly uploadedBy: string
  readonly createdAt: Date
  /** Undefined until the draft is activated. */
  readonly activation: { readonly versionId: string; readonly effectiveFrom: Date; readonly by: string; readonly at: Date } | undefined
}

export interface Draft extends DraftSummary {
  readonly files: FeedFiles
}

export type DraftActivationRefusal = 'TARIFF_DRAFT_NOT_FOUND' | 'TARIFF_DRAFT_ALREADY_ACTIVATED'

export class DraftActivationError extends Error {
  readonly code: DraftActivationRefusal
  constructor(code: DraftActivationRefusal, message: string) {
    super(message)
    this.name = 'DraftActivationError'
    this.code = code
  }
}

type DraftRow = Omit<TariffDraft, 'files'> & { files?: FeedFiles; file_names: string[] }

function summary(row: DraftRow): DraftSummary {
  return {
    id: row.id,
    name: row.name,
    sha256: row.sha256,
    fileNames: row.file_names,
    uploadedBy: row.uploaded_by,
    createdAt: row.created_at,
    activation:
      row.activated_version_id === null || row.activated_effective_from === null || row.activated_by === null || row.activated_at === null
        ? undefined
        : { versionId: row.activated_version_id, effectiveFrom: row.activated_effective_from, by: row.activated_by, at: row.activated_at },
  }
}

const SUMMARY_COLUMNS = [
  'id',
  'name',
  'sha256',
  'uploaded_by',
  'created_at',
  'activated_version_id',
  'activated_effective_from',
  'activated_by',
  'activated_at',
] as const
const fileNames = sql<string[]>`array(select jsonb_object_keys(files) order by 1)`.as('file_names')

/** Stores a draft. The caller has checked the feed (the fare engine loads it); a draft is never edited. */
export async function saveDraft(db: Db, draft: { name: string; files: Readonly<FeedFiles>; uploadedBy: string }): Promise<DraftSummary> {
  const row = await db
    .insertInto('tariff_drafts')
    .values({ name: draft.name, files: JSON.stringify(draft.files), sha256: feedDigest(draft.files), uploaded_by: draft.uploadedBy })
    .returning([...SUMMARY_COLUMNS, fileNames])
    .executeTakeFirstOrThrow()
  return summary(row)
}

/** Newest first, at most `limit`, ids below `beforeId` when given (paging). Without the files. */
export async function listDrafts(db: Db, options: { limit: number; beforeId?: string }): Promise<DraftSummary[]> {
  let query = db
    .selectFrom('tariff_drafts')
    .select([...SUMMARY_COLUMNS, fileNames])
    .orderBy('id', 'desc')
    .limit(options.limit)
  if (options.beforeId !== undefined) query = query.where('id', '<', options.beforeId)
  return (await query.execute()).map(summary)
}

export async function getDraft(db: Db, id: string): Promise<Draft | undefined> {
  const row = await db
    .selectFrom('tariff_drafts')
    .select([...SUMMARY_COLUMNS, fileNames, 'files'])
    .where('id', '=', id)
    .executeTakeFirst()
  return row ? { ...summary(row), files: row.files } : undefined
}

/**
 * Publishes the draft as a tariff version in force from `effectiveFrom`, in
 * one transaction with recording it on the draft. Activating again at the
 * same instant answers the same draft (idempotent); at another instant it is
 * refused: a draft becomes one version. Errors of saveTariffVersion
 * (TariffVersionError) pass through, with nothing written.
 */
export async function activateDraft(db: Db, id: string, activation: { effectiveFrom: string; by: string; at: Date }): Promise<DraftSummary> {
  return db.transaction().execute(async (trx) => {
    const locked = await trx
      .selectFrom('tariff_drafts')
      .select(['id', 'name', 'files', 'activated_effective_from'])
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst()
    if (!locked) throw new DraftActivationError('TARIFF_DRAFT_NOT_FOUND', `no tariff draft ${id}`)
    const effectiveFromMs = parseInstant(activation.effectiveFrom)
    const already = locked.activated_effective_from
    if (already !== null && already.getTime() !== effectiveFromMs) {
      throw new DraftActivationError(
        'TARIFF_DRAFT_ALREADY_ACTIVATED',
        `tariff draft ${id} was already activated from ${already.toISOString()}; a draft becomes one version: upload it again as a new draft`,
      )
    }
    // Validates the feed and the instant, or answers the version already stored (an activation repeated).
    const versionId = await saveTariffVersion(trx, { name: locked.name, effectiveFrom: activation.effectiveFrom, files: locked.files })
    if (already === null) {
      await trx
        .updateTable('tariff_drafts')
        .set({
          activated_version_id: versionId,
          activated_effective_from: new Date(effectiveFromMs as number),
          activated_by: activation.by,
          activated_at: activation.at,
        })
        .where('id', '=', id)
        .execute()
    }
    const row = await trx
      .selectFrom('tariff_drafts')
      .select([...SUMMARY_COLUMNS, fileNames])
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    return summary(row)
  })
}
