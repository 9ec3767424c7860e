/**
 * What the dashboard shows: one panel per report, each run with the same
 * report function (and so the same query and operator filter) as its
 * /v1/reports route. A panel with a chart names the day column and the
 * figures to draw per day. Adding a report to the dashboard is one entry here.
 */
import { capsReport } from '../reports/caps.ts'
import { concessionsReport } from '../reports/concessions.ts'
import type { ReportContext } from '../reports/context.ts'
import { reconciliationReport } from '../reports/reconciliation.ts'
import type { Report } from '../reports/respond.ts'
import { revenueReport } from '../reports/revenue.ts'
import { ridershipReport } from '../reports/ridership.ts'

export interface Panel {
  /** In the CSV link (/dashboard/csv/:report) and the page's element ids. */
  readonly id: string
  readonly title: string
  /** One sentence for the page: what the figures are. */
  readonly about: string
  /** The same report on the api: path and query beside from and to. */
  readonly api: { readonly path: string; readonly query: Readonly<Record<string, string>> }
  /** The report for the month (YYYY-MM) whose range `ctx` holds. */
  readonly run: (ctx: ReportContext, month: string) => Promise<Report>
  readonly chart?: { readonly day: string; readonly series: readonly string[] }
}

export const PANELS: readonly Panel[] = [
  {
    id: 'revenue',
    title: 'Revenue per day',
    about:
      'What the rides of each service day were worth and what the operator was credited for them: ' +
      "riders' fares, the city's concession compensation, revenue split with other operators, and net.",
    api: { path: '/v1/reports/revenue', query: { groupBy: 'day' } },
    run: (ctx) => revenueReport(ctx, 'day'),
    chart: { day: 'day', series: ['riderFares', 'concessionCompensation', 'net'] },
  },
  {
    id: 'ridership',
    title: 'Ridership per day',
    about: 'Boardings (entry taps, double taps left out), journeys and distinct cards, per service day.',
    api: { path: '/v1/reports/ridership', query: { groupBy: 'day' } },
    run: (ctx) => ridershipReport(ctx, 'day'),
    chart: { day: 'day', series: ['boardings', 'journeys', 'riders'] },
  },
  {
    id: 'concessions',
    title: 'Concession claim',
    about: "The month's claim on the city, per concession rider category: rides, their value at full fares, what the riders paid, what the city owes.",
    api: { path: '/v1/reports/concessions', query: {} },
    run: (ctx, month) => concessionsReport(ctx, month),
  },
  {
    id: 'caps',
    title: 'Fare caps',
    about: 'Per fare cap: riders who reached it, rides taken inside it, and the revenue it took off.',
    api: { path: '/v1/reports/caps', query: { groupBy: 'cap' } },
    run: (ctx) => capsReport(ctx, 'cap'),
  },
  {
    id: 'reconciliation',
    title: 'Reconciliation',
    about:
      'Taps the ledger received, settled and rejected in the month (by the time it settled them), the money they moved, ' +
      "and warnings: rejected taps, gaps in a validator's sequence numbers.",
    api: { path: '/v1/reports/reconciliation', query: { section: 'summary' } },
    run: (ctx) => reconciliationReport(ctx, 'summary'),
  },
]

export function findPanel(id: string): Panel | undefined {
  return PANELS.find((p) => p.id === id)
}
