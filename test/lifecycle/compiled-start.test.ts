/**
 * The services as `pnpm start` and production run them: compiled by
 * infra/build.ts (what `pnpm build` runs) and started with plain `node`, no
 * tsx. Uses the tests' build of the sources as they are (test/support/build.ts:
 * built once per state of the sources, in a folder of the tests' own, since a
 * running `pnpm start` may be using dist/), migrates a new database with the compiled migrate command,
 * starts ingest (two workers: node:cluster forks the compiled file), ledger
 * and api on it, waits until each answers /readyz 200, fetches the dashboard's
 * files from the compiled api, and runs the compiled ledger:check on the result.
 */

import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createDb, withDatabase } from '@fare/db'
import { TEST_SERVER_URL } from '@fare/db/testing'
import { sql } from 'kysely'
import t from 'tap'
import { compiledBuild } from '../support/build.ts'
import { createTestTopics } from '../support/kafka.ts'
import { createTestIssuer } from '../support/keys.ts'
import { killGroup, REPO_ROOT, START_TIMEOUT_MS } from '../support/process.ts'
import { waitFor } from '../support/stack.ts'

// A build, a migration and three services on a busy machine.
t.setTimeout(300_000)

const keyDir = mkdtempSync(path.join(tmpdir(), 'fare-compiled-keys-'))
const database = `fare_test_f_${randomBytes(6).toString('hex')}`
const started: number[] = []
// One teardown, in this order: the services (process groups) first, so dropping their database interrupts nobody.
t.teardown(async () => {
  for (const pid of started) killGroup(pid)
  const admin = createDb(withDatabase(TEST_SERVER_URL, 'postgres'), { maxConnections: 1 })
  await sql`drop database if exists ${sql.id(database)} with (force)`.execute(admin)
  await admin.destroy()
  rmSync(keyDir, { recursive: true, force: true })
})

/** Runs a compiled command line to its end. */
function runCompiled(file: string, env: Record<string, string>) {
  return spawnSync(process.execPath, ['--enable-source-maps', path.join(compiledBuild(), file)], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: START_TIMEOUT_MS,
  })
}

/** Starts a compiled service in a process group of its own (killed whole at teardown); resolves its URL once it listens. */
function startCompiled(file: string, env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ['--enable-source-maps', path.join(compiledBuild(), file)], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  const pid = child.pid
  if (pid === undefined) throw new Error(`could not start ${file}`)
  started.push(pid)
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not listen within ${START_TIMEOUT_MS} ms: ${output}`)), START_TIMEOUT_MS)
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      const url = /listening at (http\S+?)"/.exec(output)?.[1]
      if (url) {
        clearTimeout(timer)
        resolve(url)
      }
    }
    child.stdout.on('data', read)
    child.stderr.on('data', read)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${file} exited (${signal ?? code}): ${output}`))
    })
  })
}

t.test('pnpm build output: migrate, start each service, ready, ledger:check', async (t) => {
  const began = Date.now()
  // Throws with infra/build.ts's output if it fails.
  const outdir = compiledBuild()
  t.ok(existsSync(path.join(outdir, 'services/ingest/main.js')), `built (or built already) in ${Date.now() - began} ms: ${outdir}`)

  const databaseUrl = withDatabase(TEST_SERVER_URL, database)
  const migrate = runCompiled('packages/db/migrate-cli.js', { DATABASE_URL: databaseUrl })
  t.equal(migrate.status, 0, `migrations applied from the bundle: ${migrate.stdout}${migrate.stderr}`)
  t.match(migrate.stdout, /applied: .*foundation/)

  const issuer = createTestIssuer()
  writeFileSync(path.join(keyDir, 'issuer.pub.pem'), issuer.publicKeyPem)
  writeFileSync(path.join(keyDir, 'issuer.key.pem'), issuer.privateKeyPem, { mode: 0o600 })
  const topics = await createTestTopics('compiled')
  const env = {
    DATABASE_URL: databaseUrl,
    JWT_PUBLIC_KEY_FILE: path.join(keyDir, 'issuer.pub.pem'),
    JWT_PRIVATE_KEY_FILE: path.join(keyDir, 'issuer.key.pem'),
    TAPS_TOPIC: topics.taps,
    DLQ_TOPIC: topics.dlq,
    LEDGER_GROUP: topics.group,
    INGEST_PORT: '0',
    LEDGER_PORT: '0',
    API_PORT: '0',
    INGEST_WORKERS: '2',
  }
  const urls = await Promise.all([
    startCompiled('services/ingest/main.js', env),
    startCompiled('services/ledger/main.js', env),
    startCompiled('services/api/main.js', env),
  ])
  for (const [i, name] of ['ingest', 'ledger', 'api'].entries()) {
    const url = urls[i] as string
    await waitFor(
      `${name} ready`,
      async () => (await fetch(`${url}/readyz`, { headers: { connection: 'close' } }).catch(() => undefined))?.status === 200,
      START_TIMEOUT_MS,
    )
    t.pass(`${name}, compiled, answers /readyz 200 (${Date.now() - began} ms after the build started)`)
  }

  // The dashboard's files are found from the bundle too: its own (not bundled) and uPlot's (in the api package's node_modules).
  for (const asset of ['uplot.min.js', 'uplot.min.css', 'dashboard.js', 'dashboard.css']) {
    const res = await fetch(`${urls[2]}/dashboard/assets/${asset}`, { headers: { connection: 'close' } })
    t.equal(res.status, 200, `compiled api serves /dashboard/assets/${asset}`)
    t.ok((await res.text()).length > 100, `${asset} has its content`)
  }

  const check = runCompiled('services/ledger/check-cli.js', env)
  t.equal(check.status, 0, `ledger:check, compiled, passes: ${check.stdout}${check.stderr}`)
})
