/**
 * `pnpm start`: the whole stack on its defaults. Starts Kafka (infra/kafka),
 * migrates and seeds Postgres, starts ingest, ledger and api, waits until each
 * is ready, and prints a ready `pnpm tap` command. Ctrl-C stops the services;
 * Kafka keeps running (`pnpm kafka stop` stops it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { createDb, ensureDatabase, migrateToLatest } from '@fare/db'
import { DEMO_CARDS, DEMO_DEVICES, seedDemo } from './demo.ts'
import { devKeys, REPO_ROOT } from './dev-auth.ts'

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

step('Services')
const children: ChildProcess[] = []
for (const service of services) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, `services/${service.name}/src/main.ts`)], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, JWT_PUBLIC_KEY_FILE: keys.publicKeyFile, JWT_PRIVATE_KEY_FILE: keys.privateKeyFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const prefix = `[${service.name}] `
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => process.stdout.write(chunk.toString().replace(/^(?=.)/gm, prefix)))
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${prefix}exited (${signal ?? code}); stopping the stack`)
      stop(1)
    }
  })
  children.push(child)
}

let stopping = false
function stop(code: number): void {
  stopping = true
  for (const child of children) child.kill('SIGTERM')
  setTimeout(() => process.exit(code), 3000).unref()
  Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('exit', r))))).then(() => process.exit(code))
}
process.on('SIGINT', () => stop(0))
process.on('SIGTERM', () => stop(0))

for (const service of services) {
  const deadline = Date.now() + 60_000
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${service.port}/readyz`).then((r) => r.ok, () => false)
    if (ok) break
    if (Date.now() > deadline) {
      console.error(`${service.name} did not become ready on port ${service.port}`)
      stop(1)
    }
    await new Promise((r) => setTimeout(r, 300))
  }
}

console.log(`
The stack is up:
  ingest  http://127.0.0.1:${services[0]?.port}   (validators: POST /v1/taps)
  ledger  http://127.0.0.1:${services[1]?.port}   (health and metrics)
  api     http://127.0.0.1:${services[2]?.port}   (GET /v1/cards/{cardToken}/balance)

Post a tap and watch the balance change (in another terminal):
  pnpm tap --card ${DEMO_CARDS[0].cardToken}

Or run a simulated validator (store and forward, batches, deny list):
  pnpm validator --device ${DEMO_DEVICES[0].id} --key .cache/dev-keys/${DEMO_DEVICES[0].id}.key.pem --card ${DEMO_CARDS[0].cardToken} --taps 3

Ctrl-C stops the services; \`pnpm kafka stop\` stops Kafka.`)
