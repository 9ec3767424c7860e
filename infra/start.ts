/**
 * `pnpm start`: the whole stack on its defaults. Starts Kafka (infra/kafka),
 * migrates and seeds Postgres, starts ingest, ledger and api, waits until each
 * is ready, and prints a ready `pnpm tap` command. Ctrl-C, or SIGTERM to this
 * process alone, stops the services and exits once they have; Kafka keeps
 * running (`pnpm kafka stop` stops it).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createDb, ensureDatabase, migrateToLatest } from '@fare/db'
import { SHUTDOWN_TIMEOUT_MS } from '@fare/platform'
import { DEMO_CARDS, DEMO_DEVICES, seedDemo } from './demo.ts'
import { devKeys } from './dev-auth.ts'
import { REPO_ROOT } from './repo-root.ts'

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fare'
const services = [
  { name: 'ingest', port: Number(process.env.INGEST_PORT ?? 8080) },
  { name: 'ledger', port: Number(process.env.LEDGER_PORT ?? 8081) },
  { name: 'api', port: Number(process.env.API_PORT ?? 8082) },
]

function step(text: string): void {
  console.log(`\n==> ${text}`)
}

step('Kafka (single-node KRaft broker from Maven Central jars)')
const kafka = spawnSync('bash', [path.join(REPO_ROOT, 'infra/kafka/kafka.sh'), 'start'], { stdio: 'inherit' })
if (kafka.status !== 0) process.exit(kafka.status ?? 1)

step(`Postgres: migrate and seed ${new URL(databaseUrl).pathname.slice(1)}`)
const keys = devKeys()
await ensureDatabase(databaseUrl)
const db = createDb(databaseUrl, { maxConnections: 2 })
await migrateToLatest(db)
await seedDemo(db)
await db.destroy()

/**
 * How a service is started: the way this script itself runs. Compiled
 * (dist/infra/start.js, as `pnpm start` runs it after `pnpm build`), each
 * service runs its compiled main.js beside it, with stack traces mapped to
 * the .ts; from source (tsx, as the tests run it), each runs its main.ts
 * through tsx, so no build is needed and none can be stale.
 */
function serviceArgs(name: string): string[] {
  return import.meta.url.endsWith('.js')
    ? ['--enable-source-maps', fileURLToPath(new URL(`../services/${name}/main.js`, import.meta.url))]
    : ['--import', 'tsx', path.join(REPO_ROOT, `services/${name}/src/main.ts`)]
}

step('Services')
// Each service gets an IPC channel besides its pipes: if this process dies
// without passing a signal on (SIGKILL, a crash), the channel closes and the
// service shuts itself down instead of running on as an orphan.
const children: ChildProcess[] = []
let stopping = false
for (const service of services) {
  const child = spawn(process.execPath, serviceArgs(service.name), {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, JWT_PUBLIC_KEY_FILE: keys.publicKeyFile, JWT_PRIVATE_KEY_FILE: keys.privateKeyFile },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  const prefix = `[${service.name}] `
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => process.stdout.write(chunk.toString().replace(/^(?=.)/gm, prefix)))
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${prefix}exited (${signal ?? code}); stopping the stack`)
      void stop(1)
    }
  })
  children.push(child)
}

const running = () => children.filter((c) => c.exitCode === null && c.signalCode === null)

/**
 * Stops every service and exits only once they have all exited: each gets
 * SIGTERM and stops within its shutdown bound; one still running after that
 * is killed. A second signal kills them at once.
 */
async function stop(code: number): Promise<void> {
  if (stopping) {
    for (const child of running()) child.kill('SIGKILL')
    process.exit(1)
  }
  stopping = true
  const exited = running().map((c) => new Promise((resolve) => c.once('exit', resolve)))
  for (const child of running()) child.kill('SIGTERM')
  const deadline = new Promise((resolve) => setTimeout(resolve, SHUTDOWN_TIMEOUT_MS + 2000).unref())
  await Promise.race([Promise.all(exited), deadline])
  for (const child of running()) {
    console.error(`pid ${child.pid} did not stop within ${SHUTDOWN_TIMEOUT_MS} ms; killing it`)
    child.kill('SIGKILL')
  }
  process.exit(code)
}
process.on('SIGINT', () => void stop(0))
process.on('SIGTERM', () => void stop(0))

/**
 * Polls each service's /readyz until it answers 200 (false if the stack stops
 * first). No deadline: a service without Kafka waits for it rather than
 * failing, and a busy machine is slow; what is awaited is said every 30 s.
 */
async function allReady(): Promise<boolean> {
  for (const service of services) {
    let nextNotice = Date.now() + 30_000
    for (;;) {
      if (stopping) return false
      const answer = await fetch(`http://127.0.0.1:${service.port}/readyz`).then(
        async (r) => ({ ok: r.ok, text: await r.text() }),
        (err: Error) => ({ ok: false, text: err.message }),
      )
      if (answer.ok) break
      if (Date.now() > nextNotice) {
        console.error(`still waiting for ${service.name} to be ready on port ${service.port}: ${answer.text}`)
        nextNotice = Date.now() + 30_000
      }
      await new Promise((r) => setTimeout(r, 300))
    }
  }
  return true
}

if (await allReady()) {
  const riderToken = `$(pnpm -s token --role rider --rider ${DEMO_CARDS[0].riderId})`
  const tripsUrl = `http://127.0.0.1:${services[2]?.port}/v1/cards/${DEMO_CARDS[0].cardToken}/trips`
  console.log(`
The stack is up:
  ingest  http://127.0.0.1:${services[0]?.port}   (validators: POST /v1/taps)
  ledger  http://127.0.0.1:${services[1]?.port}   (health and metrics)
  api     http://127.0.0.1:${services[2]?.port}   (GET /v1/cards/{cardToken}/balance, /trips, /statement; schemas at /docs)

Post a tap and watch the balance change (in another terminal):
  pnpm tap --card ${DEMO_CARDS[0].cardToken}

Read a card's trips as its rider would (docs/riders.md):
  curl -H "authorization: Bearer ${riderToken}" ${tripsUrl}

Or run a simulated validator (store and forward, batches, deny list):
  pnpm validator --device ${DEMO_DEVICES[0].id} --key .cache/dev-keys/${DEMO_DEVICES[0].id}.key.pem --card ${DEMO_CARDS[0].cardToken} --taps 3

Ctrl-C (or SIGTERM to this process) stops the services; \`pnpm kafka stop\` stops Kafka.`)
}
