/**
 * Ridership: boardings (entry taps the engine charged or carried, double taps
 * left out), journeys and distinct riders, grouped by service day, local
 * hour, route, stop or rider category. A journey over two routes counts once
 * in each route's row and once in the totals.
 */
import { sql } from 'kysely'
import type { ReportContext } from './context.ts'
import type { Report, ReportRow } from './respond.ts'

export const RIDERSHIP_GROUPS = ['day', 'hour', 'route', 'stop', 'riderCategory'] as const
export type RidershipGroup = (typeof RIDERSHIP_GROUPS)[number]

const GROUP_KEY = {
  day: sql<string>`service_day::text`,
  hour: sql<string>`lpad(local_hour::text, 2, '0')`,
  route: sql<string>`route_id`,
  stop: sql<string>`coalesce(stop_id, '')`,
  riderCategory: sql<string>`coalesce(rider_category_id, '')`,
} as const

/** The rows a ridership report counts: boardings in the range, of one operator or all. */
function boardings(ctx: ReportContext) {
  let query = ctx.db
    .selectFrom('tap_charges')
    .where('service_day', '>=', ctx.range.from)
    .where('service_day', '<', ctx.range.to)
    .where('tap_kind', '=', 'entry')
    .where('charge_kind', '<>', 'double_tap')
  if (ctx.operator !== undefined) query = query.where('operator_id', '=', ctx.operator)
  return query
}

/**
 * One pass: the groups and the totals together (grouping sets), since distinct journeys and riders do not add
 * up across groups; the totals' row is the one where the key is grouped away.
 */
export async function ridershipReport(ctx: ReportContext, groupBy: RidershipGroup): Promise<Report> {
  const key = GROUP_KEY[groupBy]
  const found = await boardings(ctx)
    .select([
      key.as('key'),
      sql<number>`grouping(${key})`.as('total'),
      sql<string>`count(*)`.as('boardings'),
      sql<string>`count(distinct journey_id)`.as('journeys'),
      sql<string>`count(distinct card_token)`.as('riders'),
    ])
    .groupBy(sql`grouping sets ((${key}), ())`)
    .orderBy(sql`grouping(${key})`)
    .orderBy(key)
    .execute()
  const rows = found.filter((r) => Number(r.total) === 0)
  const totals = found.find((r) => Number(r.total) === 1) ?? { boardings: '0', journeys: '0', riders: '0' }
  return {
    name: 'ridership',
    range: ctx.range,
    timeZone: ctx.timeZone,
    operator: ctx.operator,
    currency: ctx.currency,
    meta: { groupBy },
    columns: [groupBy, 'boardings', 'journeys', 'riders'],
    rows: rows.map((r): ReportRow => ({ [groupBy]: r.key, boardings: Number(r.boardings), journeys: Number(r.journeys), riders: Number(r.riders) })),
    totals: { boardings: Number(totals.boardings), journeys: Number(totals.journeys), riders: Number(totals.riders) },
  }
}
