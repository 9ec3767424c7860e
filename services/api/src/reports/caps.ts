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

/**
 * One pass: the groups and the totals together (grouping sets), since distinct riders do not add up across
 * groups; the totals' row is the one where capped_by is grouped away.
 */
export async function capsReport(ctx: ReportContext, groupBy: CapsGroup): Promise<Report> {
  const sets = groupBy === 'day' ? sql`grouping sets ((service_day, capped_by), ())` : sql`grouping sets ((capped_by), ())`
  const day = groupBy === 'day' ? sql<string | null>`service_day::text` : sql<string | null>`null::text`
  const found = await cappedCharges(ctx)
    .select([day.as('day'), 'capped_by', sql<number>`grouping(capped_by)`.as('total'), ...FIGURES])
    .groupBy(sets)
    .orderBy(sql`grouping(capped_by)`)
    .orderBy(day)
    .orderBy('capped_by')
    .execute()
  const groups = found.filter((r) => Number(r.total) === 0)
  const totals = found.find((r) => Number(r.total) === 1)
  return {
    name: 'caps',
    range: ctx.range,
    timeZone: ctx.timeZone,
    operator: ctx.operator,
    currency: ctx.currency,
    meta: { groupBy },
    columns: [...(groupBy === 'day' ? ['day'] : []), 'cap', 'riders', 'rides', 'revenueForgone'],
    rows: groups.map((r): ReportRow => ({ ...(groupBy === 'day' ? { day: r.day } : {}), cap: r.capped_by, ...figures(r) })),
    totals: figures(totals ?? { riders: '0', rides: '0', revenueForgone: '0' }),
  }
}
