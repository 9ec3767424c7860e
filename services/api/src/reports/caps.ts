/**
 * Caps: per fare cap (`capped_by`, the cap that limited a charge), the riders
 * who reached it, the rides taken inside a reached cap (charged less than
 * their fare before caps), and the revenue forgone (before caps minus what
 * was charged); per cap, or per service day and cap.
 */
import { moneyFromDb } from '@fare/db'
import { sql } from 'kysely'
import type { ReportContext } from './context.ts'
import type { Report, ReportRow } from './respond.ts'

export const CAPS_GROUPS = ['cap', 'day'] as const
export type CapsGroup = (typeof CAPS_GROUPS)[number]

/** The charges a cap limited in the range, of one operator or all. */
function cappedCharges(ctx: ReportContext) {
  let query = ctx.db
    .selectFrom('tap_charges')
    .where('service_day', '>=', ctx.range.from)
    .where('service_day', '<', ctx.range.to)
    .where('capped_by', 'is not', null)
  if (ctx.operator !== undefined) query = query.where('operator_id', '=', ctx.operator)
  return query
}

const FIGURES = [
  sql<string>`count(distinct card_token)`.as('riders'),
  sql<string>`count(*) filter (where amount < before_caps)`.as('rides'),
  sql<string>`coalesce(sum(before_caps - amount), 0)`.as('revenueForgone'),
] as const

function figures(row: { riders: string; rides: string; revenueForgone: string }): ReportRow {
  return { riders: Number(row.riders), rides: Number(row.rides), revenueForgone: moneyFromDb(row.revenueForgone) }
}

export async function capsReport(ctx: ReportContext, groupBy: CapsGroup): Promise<Report> {
  const cap = sql<string>`capped_by`
  const day = sql<string>`service_day::text`
  const rows =
    groupBy === 'day'
      ? (
          await cappedCharges(ctx)
            .select([day.as('day'), cap.as('cap'), ...FIGURES])
            .groupBy([day, cap])
            .orderBy(day)
            .orderBy(cap)
            .execute()
        ).map((r): ReportRow => ({ day: r.day, cap: r.cap, ...figures(r) }))
      : (
          await cappedCharges(ctx)
            .select([cap.as('cap'), ...FIGURES])
            .groupBy(cap)
            .orderBy(cap)
            .execute()
        ).map((r): ReportRow => ({ cap: r.cap, ...figures(r) }))
  const totals = await cappedCharges(ctx).select(FIGURES).executeTakeFirstOrThrow()
  return {
    name: 'caps',
    range: ctx.range,
    timeZone: ctx.timeZone,
    operator: ctx.operator,
    currency: ctx.currency,
    meta: { groupBy },
    columns: [...(groupBy === 'day' ? ['day'] : []), 'cap', 'riders', 'rides', 'revenueForgone'],
    rows,
    totals: figures(totals),
  }
}
