/**
 * `pnpm bench:latency`: tap-to-balance latency, from the moment ingest answers
 * a tap `accepted` to the moment the api shows the card's new balance, at half
 * of the pipeline's sustained peak. The whole stack runs as in production:
 * ingest, ledger and api each its own process, the real Kafka broker, Postgres.
 *
 * 1. Sustained peak: validators post batches as fast as they can for
 *    BENCH_PEAK_SECONDS; the peak is what the ledger settled per second
 *    meanwhile (taps recorded in Postgres), not what ingest accepted.
 * 2. Open model at half that rate: taps are sent on a fixed schedule whatever
 *    the answers (queueing is not hidden by a client that waits). Every
 *    BENCH_SAMPLE_EVERY-th tap is a probe on a card never used before, whose
 *    balance the bench polls on the api (every BENCH_POLL_MS) until it moves.
 *
 *   BENCH_PEAK_SECONDS (15), BENCH_SECONDS (30), BENCH_RATE (taps/s; default half the peak),
 *   BENCH_SAMPLE_EVERY (50), BENCH_POLL_MS (5), BENCH_BATCH (10: taps per request in the open model), BENCH_WRITE_DOC=0
 * The services run compiled (test/support/entries.ts), as `pnpm start` and production run them.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { AUDIENCE } from '@fare/auth'
import { newTapId } from '@fare/contracts'
import { createDb, ensureDatabase, migrateToLatest, withDatabase } from '@fare/db'
import { createKafka, createLogger, ensureTopics } from '@fare/platform'
import { readFeedFolder, saveTariffVersion } from '@fare/tariffs'
import { sql } from 'kysely'
import { serviceCommand } from '../test/support/entries.ts'
import { createTestIssuer } from '../test/support/keys.ts'
import { writeLatestRun } from './latest-run.ts'
import { envNumber, isMainModule } from './main-module.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092'
const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fare'

export interface LatencyBenchOptions {
  readonly peakSeconds?: number | undefined
  readonly seconds?: number | undefined
  /** The open model's rate in taps/s; default half the sustained peak measured first. */
  readonly rate?: number | undefined
  readonly sampleEvery?: number | undefined
  readonly pollMs?: number | undefined
  readonly batch?: number | undefined
}

export interface LatencyResult {
  /** Taps/s the ledger settled while validators posted as fast as they could (the pipeline's sustained peak). */
  readonly peakTapsPerSecond: number
  readonly rate: number
  readonly sentTapsPerSecond: number
  readonly seconds: number
  readonly batch: number
  readonly sampleEvery: number
  readonly pollMs: number
  readonly probes: number
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number }
  readonly failedRequests: number
}

export async function runLatencyBench(options: LatencyBenchOptions = {}): Promise<LatencyResult> {
  const PEAK_SECONDS = options.peakSeconds ?? 15
  const SECONDS = options.seconds ?? 30
  const SAMPLE_EVERY = options.sampleEvery ?? 50
  const POLL_MS = options.pollMs ?? 5
  const BATCH = options.batch ?? 10
  const run = randomBytes(3).toString('hex')
  const topic = `bench-latency-${run}`
  const databaseUrl = withDatabase(BASE_URL, `fare_bench_latency_${run}`)
  const logger = createLogger({ level: 'warn', name: 'bench-latency' })
  const kafka = createKafka({ brokers: BROKERS.split(','), clientId: 'bench-latency', logger })
  await ensureTopics(kafka, [
    { topic, numPartitions: 6 },
    { topic: `${topic}.dlq`, numPartitions: 1 },
  ])
  await ensureDatabase(databaseUrl)
  const db = createDb(databaseUrl, { maxConnections: 2 })
  await migrateToLatest(db)
  await saveTariffVersion(db, { name: 'demo', effectiveFrom: '2020-01-01T00:00:00Z', files: readFeedFolder(path.join(ROOT, 'infra/demo-tariff')) })

  const work = mkdtempSync(path.join(tmpdir(), 'fare-bench-latency-'))
  const issuer = createTestIssuer()
  writeFileSync(path.join(work, 'issuer.pub.pem'), issuer.publicKeyPem)
  writeFileSync(path.join(work, 'issuer.key.pem'), issuer.privateKeyPem)
  const ports = {
    ingest: 19_000 + Math.floor(Math.random() * 500),
    ledger: 19_500 + Math.floor(Math.random() * 500),
    api: 20_000 + Math.floor(Math.random() * 500),
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
  const children: ChildProcess[] = []
  function start(name: 'ingest' | 'ledger' | 'api', env: Record<string, string>): void {
    const child = spawn(process.execPath, serviceCommand(name), {
      cwd: ROOT,
      env: { ...commonEnv, ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    children.push(child)
  }
  start('ingest', { INGEST_PORT: String(ports.ingest), INGEST_RATE_LIMIT_PER_MINUTE: '10000000' })
  start('ledger', { LEDGER_PORT: String(ports.ledger), LEDGER_GROUP: `bench-latency-${run}` })
  start('api', { API_PORT: String(ports.api), API_RATE_LIMIT_PER_MINUTE: '10000000', JWT_PRIVATE_KEY_FILE: path.join(work, 'issuer.key.pem') })

  async function cleanup(): Promise<void> {
    for (const child of children) child.kill('SIGTERM')
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)))
    await db.destroy()
    rmSync(work, { recursive: true, force: true })
    const admin = createDb(withDatabase(BASE_URL, 'postgres'), { maxConnections: 1 })
    await sql.raw(`drop database if exists "fare_bench_latency_${run}" with (force)`).execute(admin)
    await admin.destroy()
    // The run's topics too: the broker is shared.
    const kafkaAdmin = kafka.admin()
    await kafkaAdmin.connect()
    await kafkaAdmin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined)
    await kafkaAdmin.disconnect()
  }

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
  async function waitReady(port: number, name: string): Promise<void> {
    for (const started = Date.now(); Date.now() - started < 120_000; await sleep(200)) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
      if (ok) return
    }
    throw new Error(`${name} not ready in 120 s`)
  }
  await Promise.all([waitReady(ports.ingest, 'ingest'), waitReady(ports.ledger, 'ledger'), waitReady(ports.api, 'api')])

  const deviceToken = issuer.deviceToken('validator-bench-latency', 'lutsk-bus')
  const adminToken = issuer.sign({ sub: 'bench', role: 'admin' }, AUDIENCE.api, 3600)
  const ROUTES = ['bus-2', 'bus-10', 'bus-15', 'bus-30']
  const backgroundCards = Array.from({ length: 5000 }, (_, i) => `ct_bg_${run}_${i}`)
  let seq = 0
  function tap(card: string) {
    seq++
    return {
      tapId: newTapId(),
      cardToken: card,
      kind: 'entry',
      tappedAt: new Date().toISOString(),
      routeId: ROUTES[seq % ROUTES.length],
      stopId: `S${(seq % 4) + 1}`,
      deviceSeq: seq,
    }
  }
  async function post(taps: unknown[]): Promise<number> {
    const res = await fetch(`http://127.0.0.1:${ports.ingest}/v1/taps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${deviceToken}` },
      body: JSON.stringify({ taps }),
    })
    const body = (await res.json()) as { results?: { status: string }[] }
    if (process.env.BENCH_DEBUG) console.log(res.status, JSON.stringify(body).slice(0, 300))
    return body.results?.filter((r) => r.status === 'accepted').length ?? 0
  }
  const settled = async (): Promise<number> =>
    Number(
      (
        await db
          .selectFrom('taps')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )
  async function drain(expected: number): Promise<void> {
    for (const started = Date.now(); Date.now() - started < 600_000; await sleep(250)) if ((await settled()) >= expected) return
    throw new Error('the ledger did not settle every accepted tap in 10 minutes')
  }

  try {
    // 1. Sustained peak: 16 validators posting batches of 50 back to back.
    let accepted = 0
    let sending = true
    const loops = Array.from({ length: 16 }, async () => {
      while (sending)
        accepted += await post(Array.from({ length: 50 }, () => tap(backgroundCards[Math.floor(Math.random() * backgroundCards.length)] as string)))
    })
    await sleep(3000) // warm-up
    const peakStart = { at: performance.now(), settled: await settled() }
    await sleep(PEAK_SECONDS * 1000)
    const peakEnd = { at: performance.now(), settled: await settled() }
    sending = false
    await Promise.all(loops)
    const peak = ((peakEnd.settled - peakStart.settled) * 1000) / (peakEnd.at - peakStart.at)
    console.log(`sustained peak: ${Math.round(peak)} taps/s settled (ingest accepted ${accepted} taps); draining...`)
    await drain(accepted)

    // 2. Open model at half the peak.
    const rate = options.rate ?? Math.max(10, Math.floor(peak / 2))
    const latencies: number[] = []
    let probes = 0
    let sent = 0
    let failedRequests = 0
    const inFlight: Promise<void>[] = []
    const probe = async (card: string, answeredAt: number): Promise<void> => {
      for (;;) {
        const res = await fetch(`http://127.0.0.1:${ports.api}/v1/cards/${card}/balance`, { headers: { authorization: `Bearer ${adminToken}` } })
        const body = (await res.json()) as { balance?: { amount: string } }
        if (res.ok && body.balance && body.balance.amount !== '0.00') {
          latencies.push(performance.now() - answeredAt)
          return
        }
        if (performance.now() - answeredAt > 60_000) throw new Error(`card ${card}: balance unchanged after 60 s`)
        await sleep(POLL_MS)
      }
    }
    const startedAt = performance.now()
    while (performance.now() - startedAt < SECONDS * 1000) {
      const due = Math.floor(((performance.now() - startedAt) / 1000) * rate)
      while (sent + BATCH <= due) {
        const taps = Array.from({ length: BATCH }, (_, i) => {
          if ((sent + i) % SAMPLE_EVERY !== 0) return { tap: tap(backgroundCards[Math.floor(Math.random() * backgroundCards.length)] as string) }
          probes++
          return { tap: tap(`ct_probe_${run}_${probes}`), probe: `ct_probe_${run}_${probes}` }
        })
        sent += BATCH
        inFlight.push(
          post(taps.map((t) => t.tap)).then(
            (n) => {
              const answeredAt = performance.now()
              if (n !== taps.length) failedRequests++
              return Promise.all(taps.flatMap((t) => (t.probe ? [probe(t.probe, answeredAt)] : []))).then(() => undefined)
            },
            () => {
              failedRequests++
            },
          ),
        )
      }
      await sleep(2)
    }
    const sendSeconds = (performance.now() - startedAt) / 1000
    await Promise.all(inFlight)
    latencies.sort((a, b) => a - b)
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN
    return {
      peakTapsPerSecond: Math.round(peak),
      rate,
      sentTapsPerSecond: Math.round(sent / sendSeconds),
      seconds: SECONDS,
      batch: BATCH,
      sampleEvery: SAMPLE_EVERY,
      pollMs: POLL_MS,
      probes: latencies.length,
      latencyMs: { p50: at(0.5), p99: at(0.99), max: latencies.at(-1) ?? Number.NaN },
      failedRequests,
    }
  } finally {
    await cleanup()
  }
}

if (isMainModule(import.meta.url)) {
  const r = await runLatencyBench({
    peakSeconds: envNumber('BENCH_PEAK_SECONDS'),
    seconds: envNumber('BENCH_SECONDS'),
    rate: envNumber('BENCH_RATE'),
    sampleEvery: envNumber('BENCH_SAMPLE_EVERY'),
    pollMs: envNumber('BENCH_POLL_MS'),
    batch: envNumber('BENCH_BATCH'),
  })
  const line =
    `| ${r.peakTapsPerSecond} | ${r.rate} (sent ${r.sentTapsPerSecond}) | ${r.probes} | ${r.latencyMs.p50.toFixed(0)} | ` +
    `${r.latencyMs.p99.toFixed(0)} | ${r.latencyMs.max.toFixed(0)} | ${r.failedRequests} |`
  const header =
    '| sustained peak (settled taps/s) | open-model rate (taps/s) | probes | p50 (ms) | p99 (ms) | max (ms) | requests not all accepted |\n' +
    '|---|---|---|---|---|---|---|'
  console.log(`${header}\n${line}`)
  if (process.env.BENCH_WRITE_DOC !== '0')
    writeLatestRun(
      'latency',
      'Tap to balance',
      `Latest run of \`pnpm bench:latency\`, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${cpus().length} cores, ` +
        `load average ${loadavg()[0]?.toFixed(1)} at the end; ingest, ledger and api as processes (compiled), Kafka and Postgres on the same machine; ` +
        `${r.seconds} s open model, batches of ${r.batch}, a probe every ${r.sampleEvery} taps polled every ${r.pollMs} ms.\n\n${header}\n${line}`,
    )
}
