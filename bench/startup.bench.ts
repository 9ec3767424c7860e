/**
 * `pnpm bench:startup`: how long each service takes to start, and how much
 * memory it holds, compiled (`pnpm build`, `node dist/services/<name>/main.js`)
 * against TypeScript through tsx (`node --import tsx services/<name>/src/main.ts`,
 * as every service ran before there was a build). Writes the medians under
 * "Startup" in docs/benchmarks.md.
 *
 * Each run spawns one service and polls it every 10 ms: "listening" is the
 * first /healthz 200, "ready" the first /readyz 200 (Kafka connected; the
 * ledger has joined its consumer group). Measured at ready: the wall time
 * since spawn, the CPU time used, the resident memory (VmRSS); then VmRSS
 * again after BENCH_IDLE_SECONDS idle. CPU and memory are the process's and
 * its children's: tsx compiles in esbuild processes of its own. tsx keeps the JavaScript it
 * compiled in a cache on disk (os.tmpdir()), so tsx is measured with that
 * cache warm and, as a container's first start would be, without it
 * (TSX_DISABLE_CACHE=1). Runs of the three modes are interleaved, so a busy
 * moment on the machine does not fall on one mode only.
 *   BENCH_RUNS (3), BENCH_IDLE_SECONDS (5); ingest runs as one process (INGEST_WORKERS=1).
 */
import { spawn } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { TAPS_PARTITIONS } from '@fare/contracts'
import { createTestDatabase } from '@fare/db/testing'
import { createKafka, createLogger, ensureTopics } from '@fare/platform'
import { descendants, freePort } from '../test/support/process.ts'
import { writeLatestRun } from './latest-run.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 5)
const SERVICES = ['ingest', 'ledger', 'api'] as const
type Service = (typeof SERVICES)[number]

interface Mode {
  name: string
  args(service: Service): string[]
  env: Record<string, string>
}
const MODES: Mode[] = [
  { name: 'compiled', args: (s) => ['--enable-source-maps', path.join(ROOT, `dist/services/${s}/main.js`)], env: {} },
  { name: 'tsx, warm cache', args: (s) => ['--import', 'tsx', path.join(ROOT, `services/${s}/src/main.ts`)], env: {} },
  { name: 'tsx, no cache', args: (s) => ['--import', 'tsx', path.join(ROOT, `services/${s}/src/main.ts`)], env: { TSX_DISABLE_CACHE: '1' } },
]

interface Run {
  listeningMs: number
  readyMs: number
  cpuMs: number
  rssReadyMiB: number
  rssIdleMiB: number
}

for (const service of SERVICES) {
  if (!existsSync(path.join(ROOT, `dist/services/${service}/main.js`)))
    throw new Error(`dist/services/${service}/main.js is missing: run pnpm build first (pnpm bench:startup does)`)
}

/** `pid` and its descendants (tsx runs esbuild as child processes, which count too). */
const processTree = (pid: number): number[] => [pid, ...descendants(pid)]

/** /proc/<pid>/stat after the command name (which may hold spaces): state is [0], ppid [1], utime [11], stime [12]. */
function statFields(pid: number): string[] {
  return readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ')
}

/** VmRSS of the process tree, in MiB. */
function treeRssMiB(pid: number): number {
  const kib = processTree(pid).map((p) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0))
  return kib.reduce((a, b) => a + b, 0) / 1024
}

/** User plus system CPU time used by the process tree, in ms (USER_HZ ticks of 10 ms). */
function treeCpuMs(pid: number): number {
  return processTree(pid).reduce((sum, p) => {
    const fields = statFields(p)
    return sum + (Number(fields[11]) + Number(fields[12])) * 10
  }, 0)
}

async function answers(url: string): Promise<boolean> {
  return fetch(url, { headers: { connection: 'close' } }).then(
    (r) => r.ok,
    () => false,
  )
}

const work = mkdtempSync(path.join(tmpdir(), 'fare-bench-startup-'))
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
writeFileSync(path.join(work, 'issuer.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }))
writeFileSync(path.join(work, 'issuer.key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })
const database = await createTestDatabase()
const id = randomBytes(3).toString('hex')
const topics = { taps: `bench-startup-taps-${id}`, dlq: `bench-startup-dlq-${id}` }
// Made beforehand: ingest is ready only once its topic exists (the ledger would make it, ingest does not).
const kafka = createKafka({
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  clientId: 'bench-startup',
  logger: createLogger({ level: 'warn', name: 'bench-startup' }),
})
await ensureTopics(kafka, [
  { topic: topics.taps, numPartitions: TAPS_PARTITIONS },
  { topic: topics.dlq, numPartitions: 1 },
])

async function measure(service: Service, mode: Mode, run: number): Promise<Run> {
  const port = await freePort()
  const portVariable = { ingest: 'INGEST_PORT', ledger: 'LEDGER_PORT', api: 'API_PORT' }[service]
  const started = performance.now()
  const child = spawn(process.execPath, mode.args(service), {
    cwd: ROOT,
    env: {
      ...process.env,
      ...mode.env,
      [portVariable]: String(port),
      DATABASE_URL: database.url,
      JWT_PUBLIC_KEY_FILE: path.join(work, 'issuer.pub.pem'),
      JWT_PRIVATE_KEY_FILE: path.join(work, 'issuer.key.pem'),
      TAPS_TOPIC: topics.taps,
      DLQ_TOPIC: topics.dlq,
      // A group of its own each run: joining never waits for the previous run's member to leave.
      LEDGER_GROUP: `bench-startup-${id}-${mode.name.replace(/\W+/g, '-')}-${run}`,
      INGEST_WORKERS: '1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const pid = child.pid
  if (pid === undefined) throw new Error(`could not start ${service}`)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  try {
    const base = `http://127.0.0.1:${port}`
    let listeningMs: number | undefined
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${service} (${mode.name}) exited with ${child.exitCode}`)
      if (listeningMs === undefined && (await answers(`${base}/healthz`))) listeningMs = performance.now() - started
      if (listeningMs !== undefined && (await answers(`${base}/readyz`))) break
      if (performance.now() - started > 120_000) throw new Error(`${service} (${mode.name}) not ready within 120 s`)
      await new Promise((r) => setTimeout(r, 10))
    }
    const readyMs = performance.now() - started
    const result = { listeningMs, readyMs, cpuMs: treeCpuMs(pid), rssReadyMiB: treeRssMiB(pid) }
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000))
    return { ...result, rssIdleMiB: treeRssMiB(pid) }
  } finally {
    child.kill('SIGTERM')
    await exited
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

const runs = new Map<string, Run[]>()
try {
  for (let run = 0; run < RUNS; run++) {
    for (const service of SERVICES) {
      for (const mode of MODES) {
        const result = await measure(service, mode, run)
        const key = `${service}|${mode.name}`
        runs.set(key, [...(runs.get(key) ?? []), result])
        console.log(
          `${service} ${mode.name} run ${run + 1}: listening ${result.listeningMs.toFixed(0)} ms, ready ${result.readyMs.toFixed(0)} ms, ` +
            `CPU ${result.cpuMs} ms, RSS ${result.rssReadyMiB.toFixed(1)} / ${result.rssIdleMiB.toFixed(1)} MiB`,
        )
      }
    }
  }
} finally {
  await database.drop()
  rmSync(work, { recursive: true, force: true })
}

const rows = SERVICES.flatMap((service) =>
  MODES.map((mode) => {
    const r = runs.get(`${service}|${mode.name}`) ?? []
    const m = (pick: (run: Run) => number, digits = 0) => median(r.map(pick)).toFixed(digits)
    const times = `${m((x) => x.listeningMs)} | ${m((x) => x.readyMs)} | ${m((x) => x.cpuMs)}`
    const memory = `${m((x) => x.rssReadyMiB, 1)} | ${m((x) => x.rssIdleMiB, 1)}`
    return `| ${service} | ${mode.name} | ${times} | ${memory} |`
  }),
)
const when = new Date().toISOString().slice(0, 16).replace('T', ' ')
const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}`
const load = `median of ${RUNS} runs each; load average ${loadavg()[0]?.toFixed(1)} at the end`
const conditions = `${load}; Kafka and Postgres on the same machine; ingest as one process.`
writeLatestRun(
  'startup',
  'Startup',
  `Latest run of \`pnpm bench:startup\`, ${when} UTC: ${machine}, ${conditions}

| service | mode | listening (ms) | ready (ms) | CPU to ready (ms) | RSS at ready (MiB) | RSS after ${IDLE_SECONDS} s idle (MiB) |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}`,
)
