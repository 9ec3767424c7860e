/**
 * The operators' dashboard (/dashboard) in a real headless Chromium, on data
 * the ledger really settled for two operators: lutsk-bus (A) and
 * lutsk-trolley (B), in November 2026 (demo tariff, Europe/Kyiv).
 *
 * Signed in with A's operator token, the month's page loads with no console
 * error, failed request or error answer (its CSP forbids inline script and
 * style, so a violation would show here); every panel's table holds exactly the
 * figures of the same report from /v1/reports (read from the DOM); the CSV link
 * downloads what /v1/reports answers as CSV; nothing of B's is on A's page, and
 * A cannot ask for B's figures. B's token shows B's. The page of A is written
 * to docs/images/dashboard.png for docs/dashboard.md.
 *
 * The taps: four cards (three adults, a pupil) ride A's buses on every day but
 * the 5th, 12th, 19th and 26th, and B's trolleybuses on some days but never
 * the 3rd, 10th, 17th or 24th; so A has days B has not and the other way round.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { AUDIENCE } from '@fare/auth'
import { createLogger, createMetricsRegistry } from '@fare/platform'
import { serviceTimeOf } from '@fare/tariffs'
import type { Page } from 'puppeteer-core'
import t, { type Test } from 'tap'
import { buildApp } from '../../services/api/src/app.ts'
import { PANELS, type Panel } from '../../services/api/src/dashboard/panels.ts'
import { createLedgerBench, demoTariff, fundCard, tapEvent } from '../ledger/harness.ts'
import { launchBrowser, watchProblems } from '../support/browser.ts'
import { REPO_ROOT } from '../support/entries.ts'
import { createTestIssuer } from '../support/keys.ts'

// A ledger, an api and a browser on a machine shared with other tests.
t.setTimeout(600_000)
const WAIT_MS = 120_000

const A = 'lutsk-bus'
const B = 'lutsk-trolley'
const MONTH = { month: '2026-11', from: '2026-11-01', to: '2026-12-01' }
const SCREENSHOT = path.join(REPO_ROOT, 'docs/images/dashboard.png')

const bench = await createLedgerBench('dashboard', { partitions: 2 })
t.teardown(() => bench.close())
const { db } = bench.database
await bench.startInProcess()

const CARDS = [
  { token: 'ct_dash_adult_0001', category: 'adult' },
  { token: 'ct_dash_adult_0002', category: 'adult' },
  { token: 'ct_dash_adult_0003', category: 'adult' },
  { token: 'ct_dash_pupil_0001', category: 'pupil' },
] as const
for (const card of CARDS) await fundCard(db, card.token, '2000.00', { riderCategoryId: card.category })

const at = (day: number, time: string) => `2026-11-${String(day).padStart(2, '0')}T${time}:00+02:00`
const taps = []
for (let day = 1; day <= 28; day++) {
  for (const [i, card] of CARDS.entries()) {
    if (day % 7 !== 5 && (day + i) % 3 !== 0) {
      taps.push(tapEvent({ card: card.token, time: at(day, `07:${String(10 + i * 5)}`), route: 'bus-10', stop: 'S1', operator: A }))
      if ((day * (i + 1)) % 4 === 1) taps.push(tapEvent({ card: card.token, time: at(day, `17:${String(20 + i)}`), route: 'bus-2', stop: 'S2', operator: A }))
    }
    if (day % 7 !== 3 && (day + i) % 3 === 1) {
      taps.push(tapEvent({ card: card.token, time: at(day, `12:${String(30 + i)}`), route: 'trolley-1', stop: 'S2', device: 'dev-trolley-1', operator: B }))
    }
  }
}
// On the 11th an adult rides A's buses four times: the 54.00 day cap takes off the fourth 18.00.
for (const time of ['08:05', '10:05', '14:05', '20:05'])
  taps.push(tapEvent({ card: CARDS[0].token, time: at(11, time), route: 'bus-2', stop: 'S9', operator: A }))
// A tap on a route the tariff does not know: the ledger rejects it, and A's reconciliation warns.
taps.push(tapEvent({ card: CARDS[1].token, time: at(12, '09:00'), route: 'bus-999', device: 'dev-bus-999', operator: A }))
await bench.produce(taps)
await bench.waitSettled(WAIT_MS)
// Reconciliation counts by the ledger's clock: the taps were settled now, in this month, not in November.
const SETTLED_MONTH = serviceTimeOf(demoTariff(), Date.now()).day.slice(0, 7)

const issuer = createTestIssuer()
const app = await buildApp({
  logger: createLogger({ level: 'silent', name: 'dashboard-test' }),
  db,
  registry: createMetricsRegistry('api'),
  jwtPublicKeyPem: issuer.publicKeyPem,
  // The 20th of November: the dashboard opens on November.
  now: () => new Date('2026-11-20T12:00:00+02:00'),
})
t.teardown(() => app.close())
const origin = await app.listen({ host: '127.0.0.1', port: 0 })

const operatorToken = (operator: string) => issuer.sign({ sub: `staff-${operator}`, role: 'operator', operator_id: operator }, AUDIENCE.api, 3600)

const browser = await launchBrowser()
// Closed whatever happens to the tests below.
t.teardown(() => browser.close())

interface PageTable {
  report: string
  columns: string[]
  rows: Record<string, string>[]
  totals: Record<string, string>
  /** "CODE message" per warning; null for a report without warnings. */
  warnings: string[] | null
}

/** A signed-in page of its own browser context (its own cookies), and what went wrong on it. */
interface Session {
  readonly operator: string
  readonly token: string
  readonly page: Page
  readonly problems: string[]
}

async function signIn(operator: string): Promise<Session> {
  const token = operatorToken(operator)
  const context = await browser.createBrowserContext()
  const page = await context.newPage()
  // tsx (which runs the tests) keeps function names by wrapping functions in esbuild's `__name`
  // helper; the functions handed to $eval/evaluate carry those calls into the page.
  await page.evaluateOnNewDocument('globalThis.__name = (target) => target')
  page.setDefaultTimeout(WAIT_MS)
  await page.setViewport({ width: 1200, height: 900 })
  const problems = watchProblems(page)
  await page.goto(`${origin}/dashboard`, { waitUntil: 'load' })
  await page.type('textarea[name=token]', token)
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type=submit]')])
  return { operator, token, page, problems }
}

/** Every panel's table as the page shows it: column names, rows and totals as text, and its warnings. */
function readTables(page: Page): Promise<PageTable[]> {
  return page.$$eval('[data-panel]', (panels) =>
    panels.map((panel) => {
      const table = panel.querySelector('table[data-report]')
      const byColumn = (cells: Iterable<{ dataset: Record<string, string | undefined>; textContent: string | null }>) =>
        Object.fromEntries([...cells].map((td) => [td.dataset.column ?? '', td.textContent ?? '']))
      const warnings = panel.querySelector('[data-warnings]')
      return {
        report: table?.getAttribute('data-report') ?? '',
        columns: [...(table?.querySelectorAll('thead th') ?? [])].map((th) => th.textContent ?? ''),
        rows: [...(table?.querySelectorAll('tbody tr[data-row]') ?? [])].map((tr) => byColumn(tr.querySelectorAll('td[data-column]') as never)),
        totals: byColumn((table?.querySelectorAll('tfoot td[data-column]') ?? []) as never),
        warnings: warnings ? [...warnings.querySelectorAll('[data-warning]')].map((li) => li.textContent ?? '') : null,
      }
    }),
  )
}

type ApiCell = string | number | null
interface ApiReport {
  operator: string | null
  rows: Record<string, ApiCell>[]
  totals?: Record<string, ApiCell>
  warnings?: { code: string; message: string }[]
}

/** YYYY-MM as the range of its days. */
const rangeOf = (month: string) => {
  const [year, m] = month.split('-').map(Number) as [number, number]
  const next = m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, '0')}`
  return { from: `${month}-01`, to: `${next}-01` }
}

const api = (panel: Panel, token: string, format: 'json' | 'csv', month = MONTH.month) =>
  app.inject({
    method: 'GET',
    url: `${panel.api.path}?${new URLSearchParams({ ...rangeOf(month), ...panel.api.query, format })}`,
    headers: { authorization: `Bearer ${token}` },
  })

/** The API's figures as the page writes them: text, null as ''. */
const asText = (row: Record<string, ApiCell>) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? '' : String(v)]))

async function apiTables(token: string, month = MONTH.month): Promise<PageTable[]> {
  const out: PageTable[] = []
  for (const panel of PANELS) {
    const res = await api(panel, token, 'json', month)
    if (res.statusCode !== 200) throw new Error(`${panel.api.path}: ${res.statusCode} ${res.body}`)
    const report = res.json() as ApiReport
    out.push({
      report: panel.id,
      columns: Object.keys(report.rows[0] ?? {}),
      rows: report.rows.map(asText),
      totals: asText(report.totals ?? {}),
      warnings: report.warnings ? report.warnings.map((w) => `${w.code} ${w.message}`) : null,
    })
  }
  return out
}

/** The page's panels equal the same reports of /v1/reports for the month: rows, totals and warnings. */
async function sameAsApi(t: Test, page: Page, token: string, month: string): Promise<PageTable[]> {
  const shown = await readTables(page)
  const expected = await apiTables(token, month)
  t.same(
    shown.map((table) => table.report),
    PANELS.map((panel) => panel.id),
    'one table per panel',
  )
  for (const [i, table] of shown.entries()) {
    const want = expected[i] as PageTable
    if (want.rows.length > 0) t.same(table.columns, want.columns, `${table.report}: the API's columns`)
    t.same(table.rows, want.rows, `${table.report}: every row equals the API's`)
    t.same(table.totals, want.totals, `${table.report}: totals equal the API's`)
    t.same(table.warnings, want.warnings, `${table.report}: warnings equal the API's`)
  }
  return shown
}

const sessionA = await signIn(A)
const sessionB = await signIn(B)
for (const { page } of [sessionA, sessionB]) await page.waitForSelector('[data-chart] canvas')

for (const { operator, token, page, problems } of [sessionA, sessionB]) {
  t.test(`${operator}'s page: loads cleanly, and its figures are the API's`, async (t) => {
    t.equal(new URL(page.url()).pathname, '/dashboard/view', 'signed in, on the month page')
    t.equal(await page.$eval('[data-operator]', (el) => el.getAttribute('data-operator')), operator, 'the page names its operator')
    t.equal(await page.$eval('[data-month]', (el) => el.getAttribute('data-month')), MONTH.month, "opens on the current service day's month")
    t.same(problems, [], 'no console error, page error, failed request or error answer')
    const shown = await sameAsApi(t, page, token, MONTH.month)
    // A's month has figures in every panel (its buses take a pupil and a capped adult); B has no capped rider.
    for (const table of shown) if (operator === A || table.report !== 'caps') t.ok(table.rows.length > 0, `${table.report}: the month has figures`)
    t.equal(await page.$$eval('[data-chart] canvas', (canvases) => canvases.length > 0), true, 'charts drawn')
  })
}

t.test("an operator sees none of another operator's figures", async (t) => {
  const [shownA, shownB] = await Promise.all([readTables(sessionA.page), readTables(sessionB.page)])
  const days = (tables: PageTable[]) => (tables.find((table) => table.report === 'ridership')?.rows ?? []).map((row) => row.day)
  t.ok(days(shownA).includes('2026-11-03') && !days(shownA).includes('2026-11-05'), "A's page: the 3rd (A's buses only), not the 5th (B's trolleybuses only)")
  t.ok(days(shownB).includes('2026-11-05') && !days(shownB).includes('2026-11-03'), "B's page: the 5th, not the 3rd")
  t.notSame(shownA, shownB, 'the two pages differ')
  const textA = await sessionA.page.$eval('body', (body) => body.textContent ?? '')
  t.notMatch(textA, B, "B's id is nowhere on A's page")

  // A asks for B's figures by URL: refused, and no figures are shown.
  const { page, problems } = sessionA
  const refused = await page.goto(`${origin}/dashboard/view?${new URLSearchParams({ month: MONTH.month, operator: B })}`, { waitUntil: 'load' })
  t.equal(refused?.status(), 403, "A's session asking for B: 403")
  t.equal(await page.$eval('[data-code]', (el) => el.getAttribute('data-code')), 'REPORT_OPERATOR_FORBIDDEN', 'the page says why')
  t.equal(await page.$$eval('table[data-report]', (tables) => tables.length), 0, 'no figures on the refusal')
  problems.length = 0
  const csv = await page.goto(`${origin}/dashboard/csv/ridership?${new URLSearchParams({ month: MONTH.month, operator: B })}`)
  t.equal(csv?.status(), 403, "A's session asking for B's CSV: 403")
  problems.length = 0
})

t.test("reconciliation of the month the ledger settled the taps in: the API's figures and warnings, each operator's own", async (t) => {
  const warningsOn = async (session: Session) => {
    await session.page.goto(`${origin}/dashboard/view?month=${SETTLED_MONTH}`, { waitUntil: 'load' })
    const shown = await sameAsApi(t, session.page, session.token, SETTLED_MONTH)
    t.same(session.problems, [], `${session.operator}: no errors on the page`)
    return shown.find((table) => table.report === 'reconciliation')?.warnings ?? []
  }
  const warningsA = await warningsOn(sessionA)
  t.ok(
    warningsA.some((w) => w.startsWith('TAPS_REJECTED 1 record(s)')),
    "A's page warns of its rejected tap",
  )
  t.notOk(
    (await warningsOn(sessionB)).some((w) => w.startsWith('TAPS_REJECTED')),
    "B's page does not show A's rejected tap",
  )
})

t.test("the CSV links download the API's CSV", async (t) => {
  const { page, problems } = sessionA
  await page.goto(`${origin}/dashboard/view?month=${MONTH.month}`, { waitUntil: 'load' })
  for (const panel of PANELS) {
    const href = await page.$eval(`a[data-csv="${panel.id}"]`, (a) => a.getAttribute('href') ?? '')
    // Fetched by the page itself, with its session cookie, as a click on the link would.
    const downloaded = await page.evaluate(async (url: string) => {
      const res = await fetch(url)
      return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() }
    }, href)
    const fromApi = await api(panel, sessionA.token, 'csv')
    t.equal(downloaded.status, 200, `${panel.id}: downloaded`)
    t.match(downloaded.type, /^text\/csv/, `${panel.id}: as CSV`)
    t.equal(downloaded.body, fromApi.body, `${panel.id}: the same CSV as ${panel.api.path}`)
  }
  t.same(problems, [], 'no errors on the page')
})

t.test('the page of lutsk-bus for the docs', async (t) => {
  const { page } = sessionA
  await page.goto(`${origin}/dashboard/view?month=${MONTH.month}`, { waitUntil: 'load' })
  await page.waitForSelector('[data-chart] canvas')
  mkdirSync(path.dirname(SCREENSHOT), { recursive: true })
  await page.screenshot({ path: SCREENSHOT, fullPage: true })
  t.pass(`written to ${path.relative(REPO_ROOT, SCREENSHOT)}`)
})

t.test('signing out ends the session', async (t) => {
  const { page } = sessionB
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form.sign-out button')])
  t.equal(new URL(page.url()).pathname, '/dashboard', 'back on the sign-in form')
  const after = await page.goto(`${origin}/dashboard/view`, { waitUntil: 'load' })
  t.equal(after?.status(), 401, 'the month page asks to sign in again')
  t.ok(await page.$('textarea[name=token]'), 'with the sign-in form')
})

t.test('sign-in: only operator and admin tokens, from this site; the cookie and the page headers', async (t) => {
  const signInWith = (token: string, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/dashboard/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: new URLSearchParams({ token }).toString(),
    })
  const codeOf = (body: string) => /data-code="([A-Z_]+)"/.exec(body)?.[1]

  const ok = await signInWith(operatorToken(A), { origin, host: new URL(origin).host })
  t.equal(ok.statusCode, 303, 'an operator token signs in')
  t.equal(ok.headers.location, '/dashboard/view')
  t.match(
    String(ok.headers['set-cookie']),
    /^fare_dashboard=[\w.-]+; Path=\/dashboard; Max-Age=\d+; HttpOnly; SameSite=Strict$/,
    'HttpOnly, SameSite=Strict, /dashboard only',
  )

  const rider = await signInWith(issuer.riderToken('rider-1'))
  t.equal(rider.statusCode, 403, 'a rider token is refused')
  t.equal(codeOf(rider.body), 'SCOPE_DENIED')
  t.notOk(rider.headers['set-cookie'], 'and gets no cookie')
  const garbage = await signInWith('not.a.token')
  t.equal(garbage.statusCode, 401, 'a token that is not one is refused')
  t.equal(codeOf(garbage.body), 'TOKEN_INVALID')
  t.ok(garbage.body.includes('name="token"'), 'with the form again')
  const expired = await signInWith(issuer.sign({ sub: 'staff', role: 'operator', operator_id: A }, AUDIENCE.api, 60, Math.floor(Date.now() / 1000) - 3600))
  t.equal(expired.statusCode, 401, 'an expired token is refused')
  const elsewhere = await signInWith(operatorToken(A), { origin: 'https://evil.example' })
  t.equal(elsewhere.statusCode, 403, 'a form of another site is refused')
  t.equal(codeOf(elsewhere.body), 'ORIGIN_FORBIDDEN')

  const view = await app.inject({ method: 'GET', url: '/dashboard/view', headers: { cookie: `fare_dashboard=${operatorToken(A)}` } })
  t.equal(view.statusCode, 200)
  t.match(String(view.headers['content-security-policy']), /^default-src 'self';/, 'a strict Content-Security-Policy')
  t.equal(view.headers['cache-control'], 'no-store', 'figures are never cached')
  const scripts = view.body.match(/<script\b[^>]*>/g) ?? []
  t.ok(
    scripts.length > 0 && scripts.every((tag) => / src="\/dashboard\/assets\/[\w.]+"/.test(tag) || tag.includes('type="application/json"')),
    'scripts are files or data',
  )
  t.notMatch(view.body, / style=|<style/, 'no inline style')
  const badMonth = await app.inject({ method: 'GET', url: '/dashboard/view?month=2026-13', headers: { cookie: `fare_dashboard=${operatorToken(A)}` } })
  t.equal(badMonth.statusCode, 400, 'a month that is not one: 400')
  t.equal(codeOf(badMonth.body), 'REPORT_RANGE_INVALID')
})
