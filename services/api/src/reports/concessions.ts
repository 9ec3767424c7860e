/**
 * Concessions: the claim an operator sends the city, per operator and
 * concession rider category (every category but the tariff's default):
 * rides, their value at full (default-category) fares, what the riders paid,
 * and what the city owes (`concession`, the ledger's concession transfers:
 * full fare minus what the rider paid). Monthly (`month=YYYY-MM`) or any range.
 * Every figure is a count or a sum: read from the ledger's daily rollup
 * (`tap_charge_days`), not the month's every charge.
 */
import { moneyFromDb } from '@fare/db'
import { sql } from 'kysely'
import type { ReportContext } from './context.ts'
import type { Report, ReportRow } from './respond.ts'
import { sumRows } from './totals.ts'

/** The concession riders' charges in the range, of one operator or all: the rollup's rows of them. */
function concessionCharges(ctx: ReportContext) {
  let query = ctx.db
    .selectFrom('tap_charge_days')
    .where('service_day', '>=', ctx.range.from)
    .where('service_day', '<', ctx.range.to)
    .where('rider_category_id', 'is not', null)
  if (ctx.defaultRiderCategoryIds.length > 0) query = query.where('rider_category_id', 'not in', ctx.defaultRiderCategoryIds)
  if (ctx.operator !== undefined) query = query.where('operator_id', '=', ctx.operator)
  return query
}

const FIGURES = [
  sql<string>`coalesce(sum(rides), 0)`.as('rides'),
  sql<string>`coalesce(sum(full_fare), 0)`.as('fullFareValue'),
  sql<string>`coalesce(sum(amount), 0)`.as('paidByRiders'),
  sql<string>`coalesce(sum(concession), 0)`.as('owedByCity'),
] as const

function figures(row: { rides: string; fullFareValue: string; paidByRiders: string; owedByCity: string }): ReportRow {
  return {
    rides: Number(row.rides),
    fullFareValue: moneyFromDb(row.fullFareValue),
    paidByRiders: moneyFromDb(row.paidByRiders),
    owedByCity: moneyFromDb(row.owedByCity),
  }
}

export async function concessionsReport(ctx: ReportContext, month: string | undefined): Promise<Report> {
  const rows = await concessionCharges(ctx)
    .select(['operator_id', 'rider_category_id', ...FIGURES])
    .groupBy(['operator_id', 'rider_category_id'])
    // A group whose every charge was re-rated into another keeps rollup rows of zeros: no row, as from tap_charges.
    .having(sql<boolean>`sum(charges) > 0`)
    .orderBy('operator_id')
    .orderBy('rider_category_id')
    .execute()
  return {
    name: 'concessions',
    range: ctx.range,
    timeZone: ctx.timeZone,
    operator: ctx.operator,
    currency: ctx.currency,
    meta: { month: month ?? null },
    columns: ['operator', 'riderCategory', 'rides', 'fullFareValue', 'paidByRiders', 'owedByCity'],
    rows: rows.map((r): ReportRow => ({ operator: r.operator_id, riderCategory: r.rider_category_id, ...figures(r) })),
    totals: sumRows(rows.map(figures), { counts: ['rides'], money: ['fullFareValue', 'paidByRiders', 'owedByCity'] }),
  }
}
