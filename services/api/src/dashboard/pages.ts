/**
 * The dashboard's pages, rendered on the server: the sign-in form, a month's
 * figures, and an error page. Every value goes through `html` (escaped); the
 * figures for the charts travel as JSON in a non-executable script element,
 * read by the page's own script file, so the Content-Security-Policy can
 * forbid inline script and style altogether.
 */
import type { AccessClaims } from '@fare/auth'
import { cellText, type Report } from '../reports/respond.ts'
import { chartData } from './chart-data.ts'
import { type Html, html, jsonForScript } from './html.ts'
import type { Panel } from './panels.ts'

export const ASSETS_PATH = '/dashboard/assets'

function layout(title: string, body: Html, scripts: readonly string[] = []): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="${ASSETS_PATH}/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${ASSETS_PATH}/uplot.min.css">
<link rel="stylesheet" href="${ASSETS_PATH}/dashboard.css">
</head>
<body>
${body}
${scripts.map((src) => html`<script src="${ASSETS_PATH}/${src}"></script>\n`)}</body>
</html>
`.markup
}

export interface Problem {
  readonly code: string
  readonly message: string
}

function problemNote(problem: Problem | undefined): Html {
  return problem ? html`<p class="problem" role="alert" data-code="${problem.code}">${problem.message}</p>` : html``
}

export function signInPage(problem?: Problem): string {
  return layout(
    'Sign in - fare dashboard',
    html`<main class="sign-in">
<h1>Fare dashboard</h1>
${problemNote(problem)}
<form method="post" action="/dashboard/sign-in">
<label for="token">Operator access token</label>
<textarea id="token" name="token" rows="5" required autocomplete="off" spellcheck="false"></textarea>
<button type="submit">Sign in</button>
</form>
<section class="help">
<h2>Where to get a token</h2>
<p>Your administrator issues operator tokens; each token shows one operator's figures only (an admin token shows every operator's).
On a development stack, print one with <code>pnpm -s token --role operator --operator OPERATOR_ID</code>
(valid for an hour; add <code>--ttl SECONDS</code> for longer).</p>
<p>The token stays in this browser in a cookie that scripts cannot read, sent to /dashboard only, until it expires or you sign out.</p>
</section>
</main>`,
  )
}

export interface MonthView {
  readonly user: AccessClaims
  /** YYYY-MM */
  readonly month: string
  /** Whose figures: an operator id, or undefined for every operator (admins). */
  readonly operator: string | undefined
  readonly timeZone: string
  readonly currency: string
  readonly panels: readonly { readonly panel: Panel; readonly report: Report }[]
}

/** The month before or after YYYY-MM. */
export function shiftMonth(month: string, by: -1 | 1): string {
  const [year, m] = month.split('-').map(Number) as [number, number]
  const index = year * 12 + (m - 1) + by
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`
}

function viewHref(month: string, operator: string | undefined, user: AccessClaims): string {
  const query = new URLSearchParams({ month, ...(user.role === 'admin' && operator !== undefined ? { operator } : {}) })
  return `/dashboard/view?${query}`
}

function csvHref(panel: Panel, view: MonthView): string {
  const query = new URLSearchParams({ month: view.month, ...(view.user.role === 'admin' && view.operator !== undefined ? { operator: view.operator } : {}) })
  return `/dashboard/csv/${encodeURIComponent(panel.id)}?${query}`
}

function apiHref(panel: Panel, report: Report): string {
  return `${panel.api.path}?${new URLSearchParams({ from: report.range.from, to: report.range.to, ...panel.api.query })}`
}

const isFigure = (text: string) => /^-?\d+(\.\d+)?$/.test(text)

function cell(column: string, text: string, tag: 'td' | 'th' = 'td'): Html {
  const kind = isFigure(text) ? 'figure' : 'text'
  return tag === 'th' ? html`<th scope="row" class="${kind}">${text}</th>` : html`<td data-column="${column}" class="${kind}">${text}</td>`
}

/** A column of figures (every cell, totals included, a number) is right-aligned, its heading too. */
function columnKind(report: Report, column: string): 'figure' | 'text' {
  const cells = [...report.rows, ...(report.totals ? [report.totals] : [])].filter((row) => column in row).map((row) => cellText(row[column] ?? null))
  return cells.length > 0 && cells.every((text) => text === '' || isFigure(text)) ? 'figure' : 'text'
}

/** Any report as a table: its columns, one row per report row, and its totals (the first column says "Total" unless it is a total). */
function reportTable(report: Report): Html {
  const [first = '', ...rest] = report.columns
  const totals = report.totals
  return html`<div class="table-wrap"><table data-report="${report.name}">
<thead><tr>${report.columns.map((c) => html`<th scope="col" class="${columnKind(report, c)}">${c}</th>`)}</tr></thead>
<tbody>
${
  report.rows.length === 0
    ? html`<tr class="empty"><td colspan="${report.columns.length}">No figures for this month.</td></tr>`
    : report.rows.map((row) => html`<tr data-row>${report.columns.map((c) => cell(c, cellText(row[c] ?? null)))}</tr>\n`)
}</tbody>
${
  totals
    ? html`<tfoot><tr data-totals>${first in totals ? cell(first, cellText(totals[first] ?? null)) : cell(first, 'Total', 'th')}${rest.map((c) =>
        c in totals ? cell(c, cellText(totals[c] ?? null)) : html`<td></td>`,
      )}</tr></tfoot>`
    : html``
}
</table></div>`
}

interface Warning {
  readonly code: string
  readonly message: string
}

/** A report's warnings (`meta.warnings`, as reconciliation gives), listed above its table; nothing for a report without. */
function warningList(report: Report): Html {
  const warnings = report.meta?.warnings
  if (!Array.isArray(warnings)) return html``
  if (warnings.length === 0) return html`<p class="no-warnings" data-warnings="${report.name}">No warnings.</p>`
  return html`<ul class="warnings" data-warnings="${report.name}">${(warnings as Warning[]).map(
    (w) => html`<li data-warning="${w.code}"><strong>${w.code}</strong> ${w.message}</li>`,
  )}</ul>`
}

function panelSection(panel: Panel, report: Report, view: MonthView): Html {
  const chartId = `chart-data-${panel.id}`
  return html`<section class="panel" id="panel-${panel.id}" data-panel="${panel.id}">
<h2>${panel.title}</h2>
<p class="about">${panel.about}</p>
${
  panel.chart
    ? html`<div class="chart" data-chart="${chartId}" role="img" aria-label="${panel.title}, chart"></div>
<script type="application/json" id="${chartId}">${jsonForScript(chartData(report, panel.chart))}</script>`
    : html``
}
${warningList(report)}
${reportTable(report)}
<p class="links"><a href="${csvHref(panel, view)}" data-csv="${panel.id}" download>Download CSV</a>
<span class="api">API: <code>GET ${apiHref(panel, report)}</code></span></p>
</section>`
}

export function monthPage(view: MonthView): string {
  const whose = view.operator ?? 'all operators'
  return layout(
    `${view.month} - ${whose} - fare dashboard`,
    html`<header>
<h1>Fare dashboard <span class="whose" data-operator="${view.operator ?? ''}">${whose}</span></h1>
<nav>
<a href="${viewHref(shiftMonth(view.month, -1), view.operator, view.user)}" rel="prev">&larr; previous month</a>
<form method="get" action="/dashboard/view" class="month">
<label for="month">Month</label> <input type="month" id="month" name="month" value="${view.month}" required>
${
  view.user.role === 'admin'
    ? html`<label for="operator">Operator</label> <input id="operator" name="operator" value="${view.operator ?? ''}" placeholder="all">`
    : html``
}
<button type="submit">Show</button>
</form>
<a href="${viewHref(shiftMonth(view.month, 1), view.operator, view.user)}" rel="next">next month &rarr;</a>
<form method="post" action="/dashboard/sign-out" class="sign-out"><button type="submit">Sign out</button></form>
</nav>
<p class="context">Service days of <strong data-month="${view.month}">${view.month}</strong> in ${view.timeZone}; money in ${view.currency}.
Signed in as ${view.user.sub} (${view.user.role}).</p>
</header>
<main>
${view.panels.map(({ panel, report }) => panelSection(panel, report, view))}
</main>`,
    ['uplot.min.js', 'dashboard.js'],
  )
}

export function errorPage(problem: Problem, signedIn: boolean): string {
  return layout(
    'Error - fare dashboard',
    html`<main class="error-page">
<h1>Fare dashboard</h1>
${problemNote(problem)}
<p>${signedIn ? html`<a href="/dashboard/view">Back to this month</a>` : html`<a href="/dashboard">Sign in</a>`}</p>
</main>`,
  )
}
