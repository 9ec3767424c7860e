/**
 * `pnpm bench:replay`: a fleet of validators that were offline comes back at
 * once (the city's mobile network returns after an outage). By default 300
 * validators, each with 3,000 taps buffered in its store (0.9 million taps),
 * reconnect at the same moment and upload everything; measured is the time
 * from that moment until the ledger has settled every tap (the rows in
 * Postgres), and the checks that none was lost or charged twice.
 *
 * The validators are the validator simulator itself (infra/validator: the
 * same TapStore and Validator.drain a real validator runs, docs/validators.md):
 * each registered as a device with a key of its own, fetching its access token
 * from the api with a signed assertion, uploading its oldest taps in batches of
 * 50 over HTTPS, retrying with backoff and full jitter, removing taps from its
 * store only once ingest has answered. They run in this process (their CPU
 * shares the machine with the backend, as autocannon's does in bench:ingest);
 * their stores are on /dev/shm when there is one, so the validators' own
 * fsyncs (a device's flash, not the backend) do not stall the uploads.
 *
 * The backend runs as deployed: ingest (HTTPS, one process per core, its
 * default per-device rate limit), the ledger and the api, each compiled and
 * its own process (test/support/entries.ts), on the shared Kafka broker and
 * Postgres, in a database and topic of the run's own that are removed at the
 * end. The api's per-address limit is raised: its 300 token requests come from
 * one address here, from 300 in the city.
 *
 * Checked at the end: every tap id the validators recorded is in `taps`
 * exactly once and none other (lost, extra), each has one `tap_charges` row,
 * no tap has two fare transfers (doubled), no record was rejected by ingest
 * or the ledger, and, unless BENCH_REPLAY_CHECK=0, `ledger:check`'s
 * invariants (balances, offsets; BENCH_REPLAY_CHECK=rerate also re-rates
 * every card, which takes long at full size).
 *
 *   BENCH_REPLAY_VALIDATORS (300), BENCH_REPLAY_TAPS (3000 per validator), BENCH_REPLAY_CARDS (taps / 6),
 *   BENCH_REPLAY_OFFLINE_HOURS (8: the buffered taps' span), BENCH_REPLAY_TIMEOUT_SECONDS (1800),
 *   BENCH_REPLAY_CHECK (1 | 0 | rerate)
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateDeviceKeyPair } from '@fare/auth'
import { ensureOperator, postTransfers, systemAccountId, type TransferToPost } from '@fare/bookkeeping'
import { TAPS_PARTITIONS } from '@fare/contracts'
import { createDb, type Db, ensureDatabase, migrateToLatest, withDatabase } from '@fare/db'
import { checkInvariants } from '@fare/ledger'
import { parseAmount } from '@fare/money'
import { createKafka, createLogger, ensureTopics } from '@fare/platform'
import { readFeedFolder, saveTariffVersion } from '@fare/tariffs'
import { sql } from 'kysely'
import { TapStore } from '../infra/validator/store.ts'
import { Validator } from '../infra/validator/validator.ts'
import { serviceCommand } from '../test/support/entries.ts'
import { createTestIssuer } from '../test/support/keys.ts'
import { createTestPki } from '../test/support/tls.ts'
import { writeLatestRun } from './latest-run.ts'
import { envNumber, isMainModule } from './main-module.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092'
const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fare'
const ROUTES = [
  { routeId: 'bus-2', operatorId: 'lutsk-bus' },
  { routeId: 'bus-10', operatorId: 'lutsk-bus' },
  { routeId: 'bus-15', operatorId: 'lutsk-bus' },
  { routeId: 'bus-30', operatorId: 'lutsk-bus' },
  { routeId: 'trolley-1', operatorId: 'lutsk-trolley' },
  { routeId: 'trolley-4', operatorId: 'lutsk-trolley' },
  { routeId: 'trolley-7', operatorId: 'lutsk-trolley' },
] as const

export interface ReplayBenchOptions {
  readonly validators?: number | undefined
  readonly tapsPerValidator?: number | undefined
  readonly cards?: number | undefined
  readonly offlineHours?: number | undefined
  readonly timeoutSeconds?: number | undefined
  /** Run ledger:check's invariants at the end; 'rerate' re-rates every card too. */
  readonly check?: boolean | 'rerate' | undefined
}

export interface ReplayResult {
  readonly validators: number
  readonly tapsPerValidator: number
  readonly taps: number
  readonly cards: number
  /** From the reconnect to the last upload answered (every store empty). */
  readonly uploadSeconds: number
  /** From the reconnect to the last tap settled in Postgres; NaN if not all were within the timeout. */
  readonly settleSeconds: number
  readonly settledTapsPerSecond: number
  readonly settled: number
  /** Recorded by the validators but not in `taps`. */
  readonly lost: number
  /** In `taps` but never recorded by a validator, plus taps with more than one fare transfer. */
  readonly doubled: number
  readonly tapChargesRows: number
  readonly rejectedByIngest: number
  readonly rejectedByLedger: number
  /** Records on the topic beyond one per tap: uploads sent again after a lost answer or a retry. */
  readonly resentRecords: number
  readonly uploadRetries: number
  readonly check: { readonly ran: boolean; readonly rerate: boolean; readonly violations: readonly string[]; readonly seconds: number }
  readonly loadAverageEnd: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function fundCards(db: Db, tokens: readonly string[]): Promise<void> {
  const clearing = await systemAccountId(db, 'top_up_clearing', 'UAH')
  for (let i = 0; i < tokens.length; i += 2000) {
    const chunk = tokens.slice(i, i + 2000)
    const accounts = await db
      .insertInto('accounts')
      .values(chunk.map(() => ({ kind: 'rider' as const, currency: 'UAH' })))
      .returning('id')
      .execute()
    await db
      .insertInto('cards')
      .values(accounts.map((a, k) => ({ card_token: chunk[k] as string, account_id: a.id, rider_category_id: (i + k) % 10 === 0 ? 'pupil' : 'adult' })))
      .execute()
    const topUps: TransferToPost[] = accounts.map((a) => ({
      debitAccountId: clearing,
      creditAccountId: a.id,
      amount: parseAmount('500.00'),
      currency: 'UAH',
      kind: 'top_up',
    }))
    await db.transaction().execute((trx) => postTransfers(trx, topUps))
  }
}

export async function runReplayBench(options: ReplayBenchOptions = {}): Promise<ReplayResult> {
  const validatorCount = options.validators ?? 300
  const tapsPerValidator = options.tapsPerValidator ?? 3000
  const total = validatorCount * tapsPerValidator
  const cardCount = options.cards ?? Math.max(100, Math.round(total / 6))
  const offlineMs = (options.offlineHours ?? 8) * 3600_000
  const timeoutMs = (options.timeoutSeconds ?? 1800) * 1000
  const check = options.check ?? true

  const run = randomBytes(3).toString('hex')
  const topic = `bench-replay-${run}`
  const group = `bench-replay-${run}`
  const dbName = `fare_bench_replay_${run}`
  const databaseUrl = withDatabase(BASE_URL, dbName)
  const logger = createLogger({ level: 'warn', name: 'bench-replay' })
  const kafka = createKafka({ brokers: BROKERS.split(','), clientId: 'bench-replay', logger })
  const work = mkdtempSync(path.join(tmpdir(), 'fare-bench-replay-'))
  const storeRoot = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/fare-bench-replay-') : path.join(work, 'stores')
  const pki = createTestPki()
  const children: ChildProcess[] = []
  const validators: Validator[] = []
  let db: Db | undefined
  const admin = kafka.admin()

  const cleanup = async (): Promise<void> => {
    for (const v of validators) v.close()
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)))
    await db?.destroy()
    await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined)
    await admin.disconnect().catch(() => undefined)
    const server = createDb(withDatabase(BASE_URL, 'postgres'), { maxConnections: 1 })
    await sql.raw(`drop database if exists "${dbName}" with (force)`).execute(server)
    await server.destroy()
    rmSync(storeRoot, { recursive: true, force: true })
    rmSync(work, { recursive: true, force: true })
    pki.remove()
  }

  try {
    console.log(
      `replay: ${validatorCount} validators x ${tapsPerValidator} buffered taps = ${total} taps, ${cardCount} cards; database ${dbName}, topic ${topic}`,
    )
    await admin.connect()
    await ensureTopics(kafka, [
      { topic, numPartitions: TAPS_PARTITIONS },
      { topic: `${topic}.dlq`, numPartitions: 1 },
    ])
    await ensureDatabase(databaseUrl)
    db = createDb(databaseUrl, { maxConnections: 3 })
    await migrateToLatest(db)
    await saveTariffVersion(db, { name: 'demo', effectiveFrom: '2020-01-01T00:00:00Z', files: readFeedFolder(path.join(ROOT, 'infra/demo-tariff')) })
    await ensureOperator(db, 'lutsk-bus', 'Lutsk bus operator')
    await ensureOperator(db, 'lutsk-trolley', 'Lutsk trolleybus operator')

    // The city: funded cards, and one registered device (a key pair of its own) per validator.
    const setupStarted = performance.now()
    const cards = Array.from({ length: cardCount }, (_, i) => `ct_replay_${run}_${i}`)
    await fundCards(db, cards)
    const devices = Array.from({ length: validatorCount }, (_, i) => {
      const route = ROUTES[i % ROUTES.length] as (typeof ROUTES)[number]
      return { id: `validator-replay-${run}-${i}`, ...route, keys: generateDeviceKeyPair() }
    })
    for (let i = 0; i < devices.length; i += 500)
      await db
        .insertInto('devices')
        .values(devices.slice(i, i + 500).map((d) => ({ id: d.id, operator_id: d.operatorId, public_key_pem: d.keys.publicKeyPem })))
        .execute()

    // The backend, as deployed.
    const issuer = createTestIssuer()
    writeFileSync(path.join(work, 'issuer.pub.pem'), issuer.publicKeyPem)
    writeFileSync(path.join(work, 'issuer.key.pem'), issuer.privateKeyPem)
    const ports = {
      ingest: 22_000 + Math.floor(Math.random() * 500),
      ledger: 22_500 + Math.floor(Math.random() * 500),
      api: 23_000 + Math.floor(Math.random() * 500),
    }
    const commonEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: BROKERS,
      TAPS_TOPIC: topic,
      DLQ_TOPIC: `${topic}.dlq`,
      JWT_PUBLIC_KEY_FILE: path.join(work, 'issuer.pub.pem'),
      LOG_LEVEL: 'warn',
    }
    const start = (name: 'ingest' | 'ledger' | 'api', env: Record<string, string>) =>
      children.push(spawn(process.execPath, serviceCommand(name), { cwd: ROOT, env: { ...commonEnv, ...env }, stdio: ['ignore', 'inherit', 'inherit'] }))
    start('ingest', { INGEST_PORT: String(ports.ingest), INGEST_TLS_CERT_FILE: pki.files.serverCert, INGEST_TLS_KEY_FILE: pki.files.serverKey })
    start('ledger', { LEDGER_PORT: String(ports.ledger), LEDGER_GROUP: group })
    start('api', { API_PORT: String(ports.api), API_RATE_LIMIT_PER_MINUTE: '10000000', JWT_PRIVATE_KEY_FILE: path.join(work, 'issuer.key.pem') })
    const ingestUrl = `https://127.0.0.1:${ports.ingest}`
    const apiUrl = `http://127.0.0.1:${ports.api}`
    const { default: https } = await import('node:https')
    const ready = (url: string): Promise<boolean> =>
      url.startsWith('https:')
        ? new Promise((resolve) =>
            https
              .get(url, { ca: pki.caCert }, (res) => {
                res.resume()
                resolve(res.statusCode === 200)
              })
              .on('error', () => resolve(false)),
          )
        : fetch(url).then(
            (r) => r.ok,
            () => false,
          )
    for (const url of [`${ingestUrl}/readyz`, `http://127.0.0.1:${ports.ledger}/readyz`, `${apiUrl}/readyz`]) {
      const deadline = Date.now() + 180_000
      while (!(await ready(url))) {
        if (Date.now() > deadline) throw new Error(`${url} not ready in 180 s`)
        if (children.some((c) => c.exitCode !== null)) throw new Error('a service exited while starting')
        await sleep(200)
      }
    }

    // Each validator's store fills while it is offline: taps over the last hours, oldest first.
    const recorded = new Set<string>()
    let rejectedByIngest = 0
    const random = mulberry32(20261202)
    const now = Date.now()
    for (const [i, device] of devices.entries()) {
      const store = new TapStore(path.join(storeRoot, `v${i}`))
      const validator = new Validator({
        deviceId: device.id,
        privateKeyPem: device.keys.privateKeyPem,
        ingestUrl,
        apiUrl,
        store,
        tls: { ca: pki.caCert },
      })
      const taps = Array.from({ length: tapsPerValidator }, (_, k) => ({
        cardToken: cards[Math.floor(random() * cards.length)] as string,
        routeId: device.routeId,
        stopId: `S${1 + Math.floor(random() * 12)}`,
        vehicleId: `V${i}`,
        at: new Date(now - 60_000 - offlineMs + Math.floor(((k + random()) * offlineMs) / tapsPerValidator)),
      }))
      for (const tap of validator.record(taps)) recorded.add(tap.tapId)
      validators.push(validator)
    }
    if (recorded.size !== total) throw new Error(`the validators recorded ${recorded.size} taps, not ${total}`)
    console.log(`set up in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s; ${validatorCount} validators reconnect now`)

    // All at once: every validator fetches its token and uploads its store.
    const settledCount = async (): Promise<number> => Number((await sql<{ n: string }>`select count(*)::text as n from taps`.execute(db as Db)).rows[0]?.n ?? 0)
    const startedAt = performance.now()
    let uploadSeconds = Number.NaN
    let uploadRetries = 0
    const uploads = Promise.all(
      validators.map(async (v) => {
        const r = await v.drain({ deadlineMs: timeoutMs })
        rejectedByIngest += r.rejected
        uploadRetries += r.failures
      }),
    ).then(() => {
      uploadSeconds = (performance.now() - startedAt) / 1000
      console.log(`  every store empty after ${uploadSeconds.toFixed(1)} s`)
    })
    let settled = 0
    let lastPrint = 0
    while (performance.now() - startedAt < timeoutMs) {
      settled = await settledCount()
      if (settled >= total) break
      if (performance.now() - lastPrint > 10_000) {
        lastPrint = performance.now()
        console.log(`  ${((lastPrint - startedAt) / 1000).toFixed(0)} s: ${settled} settled`)
      }
      if (children.some((c) => c.exitCode !== null)) throw new Error('a service exited during the replay')
      await sleep(250)
    }
    const settleSeconds = settled >= total ? (performance.now() - startedAt) / 1000 : Number.NaN
    await uploads
    console.log(
      settled >= total
        ? `  all ${total} taps settled ${settleSeconds.toFixed(1)} s after the reconnect (${Math.round(total / settleSeconds)} taps/s)`
        : `  only ${settled} of ${total} taps settled within ${timeoutMs / 1000} s`,
    )
    // Let the ledger commit whatever else it might (a duplicate would show now), then count.
    await sleep(2000)

    const stored = await sql<{ tap_id: string }>`select tap_id::text as tap_id from taps`.execute(db)
    const inDb = new Set(stored.rows.map((r) => r.tap_id))
    let lost = 0
    for (const id of recorded) if (!inDb.has(id)) lost++
    let extra = 0
    for (const id of inDb) if (!recorded.has(id)) extra++
    const twice = await sql<{ n: string }>`
      select count(*)::text as n from (select tap_id from transfers where kind = 'fare' and tap_id is not null group by tap_id having count(*) > 1) t`.execute(
      db,
    )
    const doubled = extra + Number(twice.rows[0]?.n ?? 0)
    const charges = Number((await sql<{ n: string }>`select count(*)::text as n from tap_charges`.execute(db)).rows[0]?.n ?? 0)
    const ledgerRejected = Number((await sql<{ n: string }>`select count(*)::text as n from rejected_taps`.execute(db)).rows[0]?.n ?? 0)
    const offsets = await admin.fetchTopicOffsets(topic)
    const records = offsets.reduce((sum, p) => sum + Number(p.high), 0)
    console.log(
      `  lost ${lost}, doubled ${doubled} (${extra} unknown taps, ${twice.rows[0]?.n} taps with two fare transfers); tap_charges ${charges}; ` +
        `rejected by ingest ${rejectedByIngest}, by the ledger ${ledgerRejected}; ${records} records on the topic (${records - total} sent again); ` +
        `${uploadRetries} upload retries`,
    )

    let checkResult: ReplayResult['check'] = { ran: false, rerate: false, violations: [], seconds: 0 }
    if (check) {
      const checkStarted = performance.now()
      const violations = await checkInvariants(db, { rerate: check === 'rerate', source: { consumerGroup: group, topic } })
      checkResult = {
        ran: true,
        rerate: check === 'rerate',
        violations: violations.map((v) => `[${v.invariant}] ${v.detail}`),
        seconds: (performance.now() - checkStarted) / 1000,
      }
      console.log(
        `  ledger:check${check === 'rerate' ? ' (with re-rating)' : ''}: ` +
          `${violations.length === 0 ? 'all invariants hold' : `${violations.length} violation(s)`} ` +
          `(${checkResult.seconds.toFixed(1)} s)`,
      )
      for (const v of checkResult.violations.slice(0, 20)) console.log(`    ${v}`)
    }
    return {
      validators: validatorCount,
      tapsPerValidator,
      taps: total,
      cards: cardCount,
      uploadSeconds,
      settleSeconds,
      settledTapsPerSecond: total / settleSeconds,
      settled: inDb.size,
      lost,
      doubled,
      tapChargesRows: charges,
      rejectedByIngest,
      rejectedByLedger: ledgerRejected,
      resentRecords: records - total,
      uploadRetries,
      check: checkResult,
      loadAverageEnd: loadavg()[0] ?? Number.NaN,
    }
  } finally {
    await cleanup()
  }
}

/** A small seeded PRNG (mulberry32): the same cards and stops every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

if (isMainModule(import.meta.url)) {
  const checkKnob = process.env.BENCH_REPLAY_CHECK
  const r = await runReplayBench({
    validators: envNumber('BENCH_REPLAY_VALIDATORS'),
    tapsPerValidator: envNumber('BENCH_REPLAY_TAPS'),
    cards: envNumber('BENCH_REPLAY_CARDS'),
    offlineHours: envNumber('BENCH_REPLAY_OFFLINE_HOURS'),
    timeoutSeconds: envNumber('BENCH_REPLAY_TIMEOUT_SECONDS'),
    check: checkKnob === '0' ? false : checkKnob === 'rerate' ? 'rerate' : true,
  })
  const ok = r.lost === 0 && r.doubled === 0 && Number.isFinite(r.settleSeconds) && r.check.violations.length === 0
  console.log(
    `\nreplay: ${r.taps} taps from ${r.validators} validators settled in ${r.settleSeconds.toFixed(1)} s (${Math.round(r.settledTapsPerSecond)} taps/s); ` +
      `lost ${r.lost}, doubled ${r.doubled}${r.taps === 900_000 ? `; aim (under 300 s) ${r.settleSeconds < 300 ? 'met' : 'NOT met'}` : ''}`,
  )
  if (process.env.BENCH_WRITE_DOC !== '0' && r.taps === 900_000)
    writeLatestRun(
      'replay',
      'Replay',
      `Latest run of \`pnpm bench:replay\`, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${cpus().length} cores, load average ` +
        `${r.loadAverageEnd.toFixed(1)} at the end. ${r.validators} validators x ${r.tapsPerValidator} buffered taps, ${r.cards} cards: settled in ` +
        `${r.settleSeconds.toFixed(1)} s (${Math.round(r.settledTapsPerSecond)} taps/s; stores empty after ${r.uploadSeconds.toFixed(1)} s); ` +
        `lost ${r.lost}, doubled ${r.doubled}, ${r.resentRecords} records sent again, ` +
        `ledger:check ${r.check.ran ? `${r.check.violations.length} violation(s)` : 'not run'}.`,
    )
  process.exit(ok ? 0 : 1)
}
