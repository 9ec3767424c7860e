/**
 * A real headless Chromium for the tests of pages: Debian's package
 * (infra/setup.sh installs it), driven by puppeteer-core, which downloads no
 * browser of its own. CHROMIUM_PATH points elsewhere when needed.
 */
import puppeteer, { type Browser, type Page } from 'puppeteer-core'

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Generous: a browser starting on a machine busy with other tests. */
const LAUNCH_TIMEOUT_MS = 120_000

export function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // The tests run as root, where Chromium's sandbox cannot start; /dev/shm may be small in containers.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run', '--no-default-browser-check'],
    timeout: LAUNCH_TIMEOUT_MS,
    protocolTimeout: LAUNCH_TIMEOUT_MS,
  })
}

/** What went wrong on a page: console errors, uncaught exceptions, failed requests and 4xx/5xx answers. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`)
  })
  page.on('pageerror', (err) => problems.push(`page error: ${err instanceof Error ? err.message : String(err)}`))
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`))
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`)
  })
  return problems
}
