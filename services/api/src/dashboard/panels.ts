/**
 * What the dashboard shows: one panel per report, each run with the same
 * report function (and so the same query and operator filter) as its
 * /v1/reports route. A panel with a chart names the day column and the
 * figures to draw per day. Adding a report to the dashboard is one entry here.
 */
import type { ReportContext } from '../reports/context.ts'
import type { Report } from '../reports/respond.ts'
import { ridershipReport } from '../reports/ridership.ts'

export interface Panel {
  /** In the CSV link (/dashboard/csv/:report) and the page's element ids. */
  readonly id: string
  readonly title: string
  /** One sentence for the page: what the figures are. */
  readonly about: string
  /** The same report on the api: path and query beside from and to. */
  readonly api: { readonly path: string; readonly query: Readonly<Record<string, string>> }
  readonly run: (ctx: ReportContext) => Promise<Report>
  readonly chart?: { readonly day: string; readonly series: readonly string[] }
}

export const PANELS: readonly Panel[] = [
  {
    id: 'ridership',
    title: 'Ridership per day',
    about: 'Boardings (entry taps, double taps left out), journeys and distinct cards, per service day.',
    api: { path: '/v1/reports/ridership', query: { groupBy: 'day' } },
    run: (ctx) => ridershipReport(ctx, 'day'),
    chart: { day: 'day', series: ['boardings', 'journeys', 'riders'] },
  },
]

export function findPanel(id: string): Panel | undefined {
  return PANELS.find((p) => p.id === id)
}
