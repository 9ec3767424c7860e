/**
 * `pnpm simulate`: a day of the demo city through the whole stack (docs/simulator.md).
 *
 *   pnpm simulate [--cards 500] [--validators 24] [--hours 24] [--from-hour 4] [--speed-up 60] [--seed 1]
 *                 [--start] [--quiet] [--json] [--settle-timeout-seconds 300]
 *
 * Drives the stack at INGEST_URL / API_URL (default: `pnpm start`'s ports) and
 * its database (DATABASE_URL); --start starts the stack itself and stops it at
 * the end. Exits 0 when every accepted tap was recorded once and charged what
 * the fare engine says, 1 on any discrepancy, 2 on bad options.
 */
import { parseArgs } from 'node:util'
import { createDb } from '@fare/db'
import { simulate } from './simulate.ts'
import { type StartedStack, startStack, waitUntilReady } from './stack.ts'
import { formatSummary } from './summary.ts'

function fail(message: string): never {
  console.error(`simulate: ${message}`)
  process.exit(2)
}

let values: ReturnType<typeof parse>
const parse = () =>
  parseArgs({
    options: {
      cards: { type: 'string', default: '500' },
      validators: { type: 'string', default: '24' },
      hours: { type: 'string', default: '24' },
      'from-hour': { type: 'string', default: '4' },
      'speed-up': { type: 'string', default: '60' },
      seed: { type: 'string', default: '1' },
      'settle-timeout-seconds': { type: 'string', default: '300' },
      start: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  }).values
try {
  values = parse()
} catch (err) {
  fail((err as Error).message)
}

const integer = (name: keyof typeof values, min: number, max: number): number => {
  const n = Number(values[name])
  if (!Number.isSafeInteger(n) || n < min || n > max) fail(`--${name} must be a whole number from ${min} to ${max}`)
  return n
}
const cards = integer('cards', 1, 1_000_000)
const validators = integer('validators', 1, 10_000)
const hours = integer('hours', 1, 24)
const fromHour = integer('from-hour', 0, 23)
const speedUp = integer('speed-up', 1, 100_000)
const seed = integer('seed', 0, 2 ** 32 - 1)
const settleTimeoutMs = integer('settle-timeout-seconds', 1, 86_400) * 1000

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const urls = {
  ingestUrl: (process.env.INGEST_URL ?? `http://127.0.0.1:${port('INGEST_PORT', 8080)}`).replace(/\/$/, ''),
  ledgerUrl: (process.env.LEDGER_URL ?? `http://127.0.0.1:${port('LEDGER_PORT', 8081)}`).replace(/\/$/, ''),
  apiUrl: (process.env.API_URL ?? `http://127.0.0.1:${port('API_PORT', 8082)}`).replace(/\/$/, ''),
}
const log = (message: string) => console.error(message)

let stack: StartedStack | undefined
const stopOnSignal = () => {
  void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130))
}
process.once('SIGINT', stopOnSignal)
process.once('SIGTERM', stopOnSignal)

const db = createDb(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fare', { maxConnections: 4, applicationName: 'simulate' })
try {
  if (values.start) {
    if (!values.quiet) log('simulate: starting the stack (infra/start.ts)')
    stack = await startStack(urls, 300_000)
    if (!values.quiet) log(`simulate: stack ready; its log is ${stack.logFile}`)
  } else await waitUntilReady(urls, { timeoutMs: 5000 })
  const { summary } = await simulate(db, {
    cards,
    validators,
    hours,
    fromHour,
    speedUp,
    seed,
    ingestUrl: urls.ingestUrl,
    apiUrl: urls.apiUrl,
    quiet: values.quiet,
    settleTimeoutMs,
    log,
  })
  console.log(values.json ? JSON.stringify(summary) : formatSummary(summary))
  process.exitCode = summary.check.passed ? 0 : 1
} catch (err) {
  console.error(`simulate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
  process.exitCode = 1
} finally {
  await db.destroy()
  await stack?.stop()
}
