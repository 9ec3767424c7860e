/**
 * The whole backend on infrastructure of its own: a Kafka broker and a
 * Postgres cluster that only this stack uses (so faults hurt nobody else),
 * ingest as a cluster of two workers, up to two ledgers in one consumer
 * group, and the api (validators fetch their tokens there). The database is
 * migrated and seeded with the demo tariff, two operators, one registered
 * validator per route and a pool of funded cards.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import { generateDeviceKeyPair } from '@fare/auth'
import { ensureOperator, openCard, topUp } from '@fare/bookkeeping'
import { createDb, type Db, ensureDatabase, migrateToLatest } from '@fare/db'
import { parseAmount } from '@fare/money'
import { createKafka, createLogger, type Kafka } from '@fare/platform'
import { DEMO_CURRENCY, DEMO_OPERATORS, seedDemoTariff } from '../demo.ts'
import { createOwnKafka, type OwnKafka } from './own-kafka.ts'
import { createOwnPostgres, type OwnPostgres } from './own-postgres.ts'
import { childPids, SupervisedService, type UnexpectedExit } from './processes.ts'

/** A service run from its sources compiles them with tsx at each start: slow on a loaded 2-core machine, never wrong. */
const READY_TIMEOUT_MS = 180_000
export const LEDGER_GROUP = 'ledger'
export const TAPS_TOPIC = 'taps'

/** A validator on a route: where the load generator's taps come from. */
export interface ChaosDevice {
  id: string
  operatorId: string
  routeId: string
  stops: readonly string[]
  privateKeyPem: string
}

export interface ChaosCard {
  token: string
  category: string
}

const ROUTES = [
  { route: 'bus-10', stops: ['S1', 'S2', 'S4', 'S6', 'S8'], operator: 'lutsk-bus' },
  { route: 'bus-2', stops: ['S1', 'S2', 'S9'], operator: 'lutsk-bus' },
  { route: 'trolley-4', stops: ['S3', 'S8'], operator: 'lutsk-trolley' },
  { route: 'trolley-1', stops: ['S1', 'S2', 'S6'], operator: 'lutsk-trolley' },
] as const
const CATEGORIES = ['adult', 'adult', 'adult', 'pupil', 'pensioner'] as const

export interface ChaosStack {
  runDir: string
  postgres: OwnPostgres
  kafka: OwnKafka
  /** The database as the superuser (the checks, the fault tool's pg_stat_activity probe). */
  db: Db
  /** A Kafka client of the tool's own (the high watermarks). */
  kafkaClient: Kafka
  ingestUrl: string
  apiUrl: string
  ingest: SupervisedService
  /** Two slots in one consumer group: usually one runs, for a while both do. */
  ledgers: [SupervisedService, SupervisedService]
  api: SupervisedService
  devices: ChaosDevice[]
  cards: ChaosCard[]
  unexpectedExits: UnexpectedExit[]
  /** Every pid a service (or an ingest worker) was seen running under: to prove all stopped. */
  startedPids(): number[]
  close(): Promise<void>
}

/** A port free on 127.0.0.1 at the time of asking. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** Free even port whose successor is free too (the broker's listener and its controller). */
async function freeBrokerPort(): Promise<number> {
  for (;;) {
    const port = 30_000 + 2 * Math.floor(Math.random() * 4000)
    const taken = await Promise.all([port, port + 1].map((p) => portTaken(p)))
    if (!taken.includes(true)) return port
  }
}

function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(true))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)))
  })
}

export async function startChaosStack(options: {
  runDir: string
  cards: number
  random: () => number
  log: (line: string) => void
  /** A compiled build (`pnpm build`'s dist/ layout) to run the services from; their sources through tsx when absent. */
  build?: string | undefined
  /** Called with the stack's cleanup as soon as there is something to clean up (a test's teardown). */
  registerCleanup?: (cleanup: () => Promise<void>) => void
}): Promise<ChaosStack> {
  const { runDir, log } = options
  const logDir = path.join(runDir, 'logs')
  mkdirSync(logDir, { recursive: true })
  const services: SupervisedService[] = []
  const pids = new Set<number>()
  const postgres = createOwnPostgres({ name: 'chaos', port: await freePort() })
  const kafka = createOwnKafka({ name: 'chaos', port: await freeBrokerPort(), partitions: 6 })
  let db: Db | undefined
  let pidTimer: NodeJS.Timeout | undefined
  let closed: Promise<void> | undefined
  // Once, whoever asks first (the run, a test's teardown, a signal handler).
  const close = () => {
    closed ??= (async () => {
      clearInterval(pidTimer)
      await Promise.all(services.map((s) => s.stop().catch(() => undefined)))
      await db?.destroy().catch(() => undefined)
      await kafka.destroy()
      await postgres.destroy()
    })()
    return closed
  }
  options.registerCleanup?.(close)

  log(`starting Postgres (own cluster, port ${postgres.port}) and Kafka (own broker, port ${kafka.port})`)
  await Promise.all([postgres.start(), kafka.start()])
  const databaseUrl = postgres.url('fare')
  await ensureDatabase(databaseUrl)
  db = createDb(databaseUrl, { maxConnections: 4, applicationName: 'chaos' })
  await migrateToLatest(db)
  await seedDemoTariff(db)
  for (const op of DEMO_OPERATORS) await ensureOperator(db, op.id, op.name)

  const devices: ChaosDevice[] = []
  for (const r of ROUTES) {
    const keys = generateDeviceKeyPair('ES256')
    const id = `chaos-${r.route}-01`
    await db.insertInto('devices').values({ id, operator_id: r.operator, public_key_pem: keys.publicKeyPem }).execute()
    devices.push({ id, operatorId: r.operator, routeId: r.route, stops: r.stops, privateKeyPem: keys.privateKeyPem })
  }
  const cards: ChaosCard[] = Array.from({ length: options.cards }, (_, i) => ({
    token: `ct_chaos_${String(i).padStart(5, '0')}`,
    category: CATEGORIES[Math.floor(options.random() * CATEGORIES.length)] as string,
  }))
  for (const card of cards) {
    const accountId = await db.transaction().execute((trx) => openCard(trx, { cardToken: card.token, currency: DEMO_CURRENCY, riderCategoryId: card.category }))
    // Some cards run low, so denials and credit rides happen under faults too.
    const amount = options.random() < 0.2 ? '15.00' : '500.00'
    await topUp(db, { accountId, amount: parseAmount(amount), idempotencyKey: `chaos-fund:${card.token}` })
  }

  const issuer = generateDeviceKeyPair('ES256')
  const keyFiles = { JWT_PUBLIC_KEY_FILE: path.join(runDir, 'issuer.pub.pem'), JWT_PRIVATE_KEY_FILE: path.join(runDir, 'issuer.key.pem') }
  writeFileSync(keyFiles.JWT_PUBLIC_KEY_FILE, issuer.publicKeyPem)
  writeFileSync(keyFiles.JWT_PRIVATE_KEY_FILE, issuer.privateKeyPem, { mode: 0o600 })

  const [ingestPort, apiPort] = [await freePort(), await freePort()]
  const unexpectedExits: UnexpectedExit[] = []
  const common = { KAFKA_BROKERS: kafka.brokers, TAPS_TOPIC, LOG_LEVEL: 'info' }
  const supervise = (label: string, service: 'ingest' | 'ledger' | 'api', env: Record<string, string>, ready: RegExp) => {
    const s = new SupervisedService(label, {
      service,
      env: () => ({ ...common, ...env }),
      ready: (line) => ready.test(String(line.msg)),
      logDir,
      readyTimeoutMs: READY_TIMEOUT_MS,
      build: options.build,
      onUnexpectedExit: (exit) => {
        unexpectedExits.push(exit)
        log(`supervisor: ${exit.service} (pid ${exit.pid}) exited by itself (${exit.how}); starting it again`)
      },
    })
    services.push(s)
    return s
  }
  const ingest = supervise(
    'ingest',
    'ingest',
    {
      DATABASE_URL: databaseUrl,
      INGEST_PORT: String(ingestPort),
      INGEST_WORKERS: '2',
      INGEST_RATE_LIMIT_PER_MINUTE: '1000000',
      ...keyFiles,
    },
    /listening at/,
  )
  const ledgerEnv = {
    // The application role: it may not UPDATE or DELETE transfers.
    DATABASE_URL: postgres.url('fare', 'fare_app'),
    LEDGER_PORT: '0',
    LEDGER_GROUP,
    // A killed member's partitions move after this; the default 10 s would make each kill a long pause.
    LEDGER_SESSION_TIMEOUT_MS: '6000',
  }
  const ledgers: [SupervisedService, SupervisedService] = [
    supervise('ledger-a', 'ledger', ledgerEnv, /^ledger started$/),
    supervise('ledger-b', 'ledger', ledgerEnv, /^ledger started$/),
  ]
  const api = supervise(
    'api',
    'api',
    { DATABASE_URL: databaseUrl, API_PORT: String(apiPort), API_RATE_LIMIT_PER_MINUTE: '1000000', ...keyFiles },
    /listening at/,
  )

  log('starting ingest (2 workers), ledger and api')
  await Promise.all([ingest.start(), ledgers[0].start(), api.start()])
  const kafkaClient = createKafka({ brokers: [kafka.brokers], clientId: 'chaos', logger: createLogger({ level: 'silent', name: 'chaos' }) })
  const record = () => {
    for (const s of services) if (s.pid !== undefined) pids.add(s.pid)
    const primary = ingest.pid
    if (primary !== undefined) for (const worker of childPids(primary)) pids.add(worker)
  }
  pidTimer = setInterval(record, 200)
  return {
    runDir,
    postgres,
    kafka,
    db,
    kafkaClient,
    ingestUrl: `http://127.0.0.1:${ingestPort}`,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    ingest,
    ledgers,
    api,
    devices,
    cards,
    unexpectedExits,
    startedPids: () => {
      record()
      return [...pids]
    },
    close,
  }
}
