/**
 * Who did what: one `admin_actions` row per administrator's change, written in
 * the change's own transaction (so there is never a change without its row, nor
 * a row for a change rolled back). Rows are never updated or deleted (a
 * trigger refuses it). `ledger:check` requires one for every refund, manual
 * adjustment and balance move (docs/ledger.md).
 */
import type { Executor } from './accounts.ts'

export interface Actor {
  /** The access token's subject. */
  readonly subject: string
  readonly role: string
}

export type AdminActionKind =
  | 'card.create'
  | 'card.category'
  | 'card.block'
  | 'card.unblock'
  | 'card.replace'
  | 'account.top_up'
  | 'account.refund'
  | 'account.adjustment'

export interface AdminActionRecord {
  readonly actor: Actor
  readonly action: AdminActionKind
  /** A card token or an account id. */
  readonly target: string
  readonly reason?: string | null
  readonly transferId?: string | null
}

export async function recordAdminAction(trx: Executor, record: AdminActionRecord): Promise<void> {
  await trx
    .insertInto('admin_actions')
    .values({
      actor_subject: record.actor.subject,
      actor_role: record.actor.role,
      action: record.action,
      target: record.target,
      reason: record.reason ?? null,
      transfer_id: record.transferId ?? null,
    })
    .execute()
}
