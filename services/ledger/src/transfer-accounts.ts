/**
 * The sides of planned transfers (the rider, the concession account, an
 * operator's revenue) turned into account ids, creating an operator or
 * account the ledger meets for the first time.
 */
import { type Executor, ensureOperator, revenueAccountId, systemAccountId, type TransferToPost } from '@fare/bookkeeping'
import type { Db } from '@fare/db'
import type { PlannedTransfer, Side } from './rating.ts'

/** Sides to account ids: the card's account, the operators' revenue accounts, the concession account. */
export async function resolveAccounts(
  db: Db,
  trx: Executor,
  plans: readonly { token: string; planned: readonly PlannedTransfer[] }[],
  cards: ReadonlyMap<string, { accountId: string }>,
  currency: string,
): Promise<TransferToPost[]> {
  const operators = new Set<string>()
  let needsConcession = false
  for (const { planned } of plans) {
    for (const p of planned) {
      for (const side of [p.debit, p.credit]) {
        if (side === 'concession') needsConcession = true
        else if (side !== 'rider') operators.add(side.operatorId)
      }
    }
  }
  if (operators.size === 0 && !needsConcession) return []
  const revenue = new Map<string, string>()
  const existing =
    operators.size === 0
      ? []
      : await trx
          .selectFrom('accounts')
          .select(['id', 'operator_id'])
          .where('kind', '=', 'operator_revenue')
          .where('currency', '=', currency)
          .where('operator_id', 'in', [...operators])
          .execute()
  for (const row of existing) if (row.operator_id) revenue.set(row.operator_id, row.id)
  // The tariff's agency ids are operator ids; an agency not registered yet must still not stop the
  // partition. Missing operators and accounts are created in a short transaction of their own,
  // committed at once: created inside the batch, their uncommitted rows would make every other
  // partition's batch wait on this one's commit (unique keys). An empty account left behind by
  // a batch that then rolls back is harmless; the next batch finds and uses it.
  const missing = [...operators].filter((op) => !revenue.has(op)).sort()
  let concession = needsConcession
    ? ((await trx.selectFrom('accounts').select('id').where('kind', '=', 'concession').where('currency', '=', currency).executeTakeFirst())?.id ?? '')
    : ''
  if (missing.length > 0 || (needsConcession && concession === '')) {
    await db.transaction().execute(async (own) => {
      for (const op of missing) {
        await ensureOperator(own, op, op)
        await revenueAccountId(own, op, currency)
      }
      if (needsConcession && concession === '') await systemAccountId(own, 'concession', currency)
    })
    for (const op of missing) revenue.set(op, await revenueAccountId(trx, op, currency))
    if (needsConcession && concession === '') concession = await systemAccountId(trx, 'concession', currency)
  }
  const out: TransferToPost[] = []
  for (const { token, planned } of plans) {
    const rider = cards.get(token)?.accountId
    if (!rider) throw new Error(`internal: no account for card ${token}`)
    const account = (side: Side): string => (side === 'rider' ? rider : side === 'concession' ? concession : (revenue.get(side.operatorId) as string))
    for (const p of planned) {
      out.push({
        debitAccountId: account(p.debit),
        creditAccountId: account(p.credit),
        amount: p.amount,
        currency,
        kind: p.kind,
        ...(p.tapId === undefined ? {} : { tapId: p.tapId }),
        ...(p.journeyId === undefined ? {} : { journeyId: p.journeyId }),
        reason: p.reason,
        explanation: p.explanation,
      })
    }
  }
  return out
}
