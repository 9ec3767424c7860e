/**
 * A panel's per-day figures as the page's chart script draws them: every day
 * of the range in order (a day without rows is 0: nothing happened), one
 * series per figure.
 */
import { formatDay } from '@fare/tariffs'
import { cellText, type Report } from '../reports/respond.ts'
import type { Panel } from './panels.ts'

export interface ChartData {
  readonly days: readonly string[]
  readonly series: readonly { readonly name: string; readonly values: readonly number[] }[]
}

export function chartData(report: Report, chart: NonNullable<Panel['chart']>): ChartData {
  const days: string[] = []
  for (let day = report.range.fromDay; day < report.range.toDay; day++) days.push(formatDay(day))
  const byDay = new Map(report.rows.map((row) => [cellText(row[chart.day] ?? null), row]))
  return {
    days,
    series: chart.series.map((name) => ({
      name,
      // A plotted point, never summed or shown as a figure: a float is exact enough for a pixel (the table has the figures).
      values: days.map((day) => Number(cellText(byDay.get(day)?.[name] ?? null) || '0')),
    })),
  }
}
