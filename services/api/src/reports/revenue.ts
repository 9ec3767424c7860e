/**
 * Revenue: what the range's rides were worth and what the operators' revenue
 * accounts were credited for them, by service day, route or operator, from
 * the read side (`tap_charges`, one row per rated tap, kept current by the
 * ledger). Per row of tap_charges (docs/reports.md "Revenue"):
 *
 *   nominal fares        full_fare                 the default category's fare for the leg, after fare transfers, before caps
 *   - concession disc.   full_fare - before_caps   a concession category's lower fare
 *   - cap discounts      before_caps - amount      what caps took off
 *   = rider fares        amount                    what riders pay now (late-tap adjustments included)
 *   net                  amount + concession + split   what the ledger credited the operators for the rides
 *
 * The sums are read from the ledger's daily rollup (`tap_charge_days`: the
 * same columns summed per service day, operator, route, rider category and
 * cap), a few thousand rows a month instead of millions; every figure is a
 * sum, so summing the rollup's sums gives it to the kopiyka.
 *
 * Transfer discounts (leg_fare - before_caps: the rider's own single fare
 * minus the transfer price) are shown beside, already inside nominal fares.
 * Refunds are money paid back to riders from stored value, not any
 * operator's revenue: only an every-operator report by day shows them, as a
 * city-level column (transfers credited to the refunds account, by the
 * service day they were posted on); they are not in net.
 */
import { moneyFromDb } from '@fare/db'
import { type Decimal, ZERO } from '@fare/money'
import { sql } from 'kysely'
import type { ReportContext } from './context.ts'
import type { Report, ReportRow } from './respond.ts'
import { sumRows } from './totals.ts'

export const REVENUE_GROUPS = ['day', 'route', 'operator'] as const
export type RevenueGroup = (typeof REVENUE_GROUPS)[number]

const GROUP_KEY = {
  day: sql<string>`service_day::text`,
  route: sql<string>`route_id`,
  operator: sql<string>`operator_id`,
} as const

const MONEY = [
  'nominalFares',
  'transferDiscounts',
  'concessionDiscounts',
  'capDiscounts',
  'riderFares',
  'lateTapAdjustments',
  'concessionCompensation',
  'revenueSplit',
  'net',
] as const

/** Every charge in the range (entries and exits: money sits on both), of one operator or all: the rollup's rows of them. */
function charges(ctx: ReportContext) {
  let query = ctx.db.selectFrom('tap_charge_days').where('service_day', '>=', ctx.range.from).where('service_day', '<', ctx.range.to)
  if (ctx.operator !== undefined) query = query.where('operator_id', '=', ctx.operator)
  return query
}

/**
 * The sums, in SQL: Postgres adds numeric exactly and only the groups come back. Each rollup column is the sum
 * of its tap_charges column, so a sum of differences is a difference of the rollup's sums.
 */
const FIGURES = [
  // A ride is a boarding as the ridership report counts it: an entry tap that is no double tap (the rollup's rides).
  sql<string>`coalesce(sum(rides), 0)`.as('rides'),
  sql<string>`coalesce(sum(full_fare), 0)`.as('nominalFares'),
  sql<string>`coalesce(sum(leg_fare - before_caps), 0)`.as('transferDiscounts'),
  sql<string>`coalesce(sum(full_fare - before_caps), 0)`.as('concessionDiscounts'),
  sql<string>`coalesce(sum(before_caps - amount), 0)`.as('capDiscounts'),
  sql<string>`coalesce(sum(amount), 0)`.as('riderFares'),
  sql<string>`coalesce(sum(amount - first_amount), 0)`.as('lateTapAdjustments'),
  sql<string>`coalesce(sum(concession), 0)`.as('concessionCompensation'),
  sql<string>`coalesce(sum(split), 0)`.as('revenueSplit'),
  sql<string>`coalesce(sum(amount + concession + split), 0)`.as('net'),
] as const

/** A group whose every charge was re-rated into another group keeps rollup rows of zeros; like tap_charges, the report has no row for it. */
const HAS_CHARGES = sql<boolean>`sum(charges) > 0`

const TOTALLED = { counts: ['rides'], money: MONEY }

type Sums = { rides: string } & Record<(typeof MONEY)[number], string>

function figures(row: Sums): Record<string, number | Decimal> {
  const out: Record<string, number | Decimal> = { rides: Number(row.rides) }
  for (const column of MONEY) out[column] = moneyFromDb(row[column])
  return out
}

/** Refunds posted in the range, by the service day of their posting (transfers credited to the refunds account). */
async function refundsByDay(ctx: ReportContext): Promise<Map<string, Decimal>> {
  const day = sql<string>`((t.created_at at time zone ${ctx.timeZone}::text) - make_interval(secs => ${ctx.dayStartSecond}::double precision))::date::text`
  const rows = await ctx.db
    .selectFrom('transfers as t')
    .innerJoin('accounts as a', 'a.id', 't.credit_account_id')
    .where('a.kind', '=', 'refunds')
    .where('t.kind', '=', 'refund')
    .where('t.created_at', '>=', ctx.fromInstant)
    .where('t.created_at', '<', ctx.toInstant)
    .select([day.as('day'), sql<string>`sum(t.amount)`.as('refunds')])
    // By position: the day expression carries parameters, and a repeated one would be another expression to Postgres.
    .groupBy(sql`1`)
    .execute()
  return new Map(rows.map((r) => [r.day, moneyFromDb(r.refunds)]))
}

const EMPTY: Sums = { rides: '0', ...(Object.fromEntries(MONEY.map((m) => [m, '0'])) as Record<(typeof MONEY)[number], string>) }

export async function revenueReport(ctx: ReportContext, groupBy: RevenueGroup): Promise<Report> {
  const key = GROUP_KEY[groupBy]
  const grouped = await charges(ctx)
    .select([key.as('key'), ...FIGURES])
    .groupBy(key)
    .having(HAS_CHARGES)
    .orderBy(key)
    .execute()
  const withRefunds = groupBy === 'day' && ctx.operator === undefined
  const columns = [groupBy, 'rides', ...MONEY, ...(withRefunds ? ['refunds'] : [])]
  const base = {
    name: 'revenue',
    range: ctx.range,
    timeZone: ctx.timeZone,
    operator: ctx.operator,
    currency: ctx.currency,
    meta: { groupBy },
    columns,
  }
  if (!withRefunds) {
    return {
      ...base,
      rows: grouped.map((r): ReportRow => ({ [groupBy]: r.key, ...figures(r) })),
      totals: sumRows(grouped.map(figures), TOTALLED),
    }
  }
  // Days with refunds but no rides get a row of their own.
  const refunds = await refundsByDay(ctx)
  const byDay = new Map(grouped.map((r) => [r.key, r as Sums]))
  const days = [...new Set([...byDay.keys(), ...refunds.keys()])].sort()
  let refundTotal = ZERO
  for (const amount of refunds.values()) refundTotal = refundTotal.plus(amount)
  return {
    ...base,
    rows: days.map((day): ReportRow => ({ day, ...figures(byDay.get(day) ?? EMPTY), refunds: refunds.get(day) ?? ZERO })),
    totals: { ...sumRows(grouped.map(figures), TOTALLED), refunds: refundTotal },
  }
}
