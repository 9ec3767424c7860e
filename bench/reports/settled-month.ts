/**
 * The settled month `pnpm bench:reports` measures, kept between runs: a
 * database named by a hash of the month's parameters and of the code that
 * decides what is settled (the ledger, the fare engine, this bench's riders
 * and network), so a second run measures reports only. A database is reused
 * when its comment says it is complete; one left half-built by an
 * interrupted run is dropped and built again. Migrations added since it was
 * built (an index, a report's table) are applied to it first.
 *
 * The month is settled through the real ledger code, in this process and
 * without Kafka: each day's taps, keyed by card into partitions as ingest
 * does, go through settleBatch in batches, the partitions settled
 * concurrently as the ledger's consumer settles them.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { postTransfers, systemAccountId, type TransferToPost } from '@fare/bookkeeping'
import type { TapEvent } from '@fare/contracts'
import { createDb, type Db, withDatabase } from '@fare/db'
import { TEST_SERVER_URL } from '@fare/db/testing'
import { parseAmount } from '@fare/money'
import type { KafkaMessage } from '@fare/platform'
import { createTariffBook, saveTariffVersion } from '@fare/tariffs'
import { Migrator, sql } from 'kysely'
import pg from 'pg'
import { MIGRATIONS } from '../../packages/db/src/migrations/index.ts'
import { settleBatch } from '../../services/ledger/src/settle.ts'
import { copySettledDays } from './copied-days.ts'
import { allValidators, type BenchCard, benchCards, dayOf, dayTaps } from './month.ts'
import { type BenchNetwork, benchNetwork } from './tariff.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const PARTITIONS = 6
const TOPIC = 'bench-reports-taps'
const GROUP = 'bench-reports'

export interface MonthParameters {
  readonly days: number
  /** The first days, settled by the ledger; the rest (if any) are copies of them (copied-days.ts). */
  readonly ledgerDays: number
  readonly tapsPerDay: number
  readonly cards: number
  /** Records per settleBatch call (a Kafka batch of one partition). */
  readonly batch: number
}

export interface SettledMonth {
  readonly name: string
  readonly url: string
  readonly db: Db
  readonly network: BenchNetwork
  readonly taps: number
  /** Wall seconds the settling (or copying) took (when this run built it, or when the run that did). */
  readonly settleSeconds: number
  readonly builtNow: boolean
}

interface Completion {
  readonly complete: true
  readonly taps: number
  readonly settleSeconds: number
  readonly parameters: MonthParameters
}

/** The code that decides the settled rows: a change to any of it settles the month again. */
function codeHash(): string {
  const hash = createHash('sha256')
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir).sort()) {
      const file = path.join(dir, entry)
      if (statSync(file).isDirectory()) walk(file)
      else if (file.endsWith('.ts')) hash.update(entry).update(readFileSync(file))
    }
  }
  for (const dir of ['services/ledger/src', 'packages/fares/src', 'packages/tariffs/src']) walk(path.join(ROOT, dir))
  for (const file of ['month.ts', 'tariff.ts']) hash.update(readFileSync(path.join(ROOT, 'bench/reports', file)))
  return hash.digest('hex')
}

/** The batch size changes how fast the month settles, not what is settled: it is no part of the name. */
export function monthDatabaseName(parameters: MonthParameters): string {
  const { days, ledgerDays, tapsPerDay, cards } = parameters
  const hash = createHash('sha256')
    .update(JSON.stringify({ days, tapsPerDay, cards, ...(ledgerDays < days ? { ledgerDays } : {}) }))
    .update(codeHash())
    .digest('hex')
    .slice(0, 12)
  return `fare_bench_reports_${hash}`
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(TEST_SERVER_URL, 'postgres') })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** Every migration; unordered ones allowed, since a kept database may predate a migration merged in with an earlier name. */
async function migrate(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS }, allowUnorderedMigrations: true })
  const result = await migrator.migrateToLatest()
  if (result.error) throw new Error('migrating the bench database failed', { cause: result.error })
  for (const r of result.results ?? []) console.log(`  migration ${r.migrationName}: ${r.status}`)
}

async function completion(name: string): Promise<{ exists: boolean; done: Partial<Completion> | undefined }> {
  return admin(async (c) => {
    const row = await c.query<{ comment: string | null }>("select shobj_description(oid, 'pg_database') as comment from pg_database where datname = $1", [name])
    if (row.rowCount === 0) return { exists: false, done: undefined }
    const comment = row.rows[0]?.comment ?? ''
    const done = comment.startsWith('{') ? (JSON.parse(comment) as Partial<Completion>) : undefined
    return { exists: true, done: done?.complete ? done : undefined }
  })
}

/**
 * `concurrency`: partitions settled at once (the ledger's default is 6); it changes how fast the month
 * settles, not what is settled, so it is no part of the database's name. With `ledgerDays` below
 * `days`, the month starts as a copy of the `ledgerDays`-day month's database (settled first if
 * missing) and the other days are copies of its days (copied-days.ts).
 */
export async function settledMonth(parameters: MonthParameters, concurrency: number): Promise<SettledMonth> {
  const name = monthDatabaseName(parameters)
  const url = withDatabase(TEST_SERVER_URL, name)
  const network = benchNetwork()
  const found = await completion(name)
  if (found.done) {
    const { done } = found
    console.log(`reusing ${name}: ${done.taps} taps settled earlier in ${done.settleSeconds?.toFixed(0)} s`)
    const db = createDb(url, { maxConnections: 10, applicationName: 'bench-reports' })
    await migrate(db)
    return { name, url, db, network, taps: done.taps ?? 0, settleSeconds: done.settleSeconds ?? 0, builtNow: false }
  }
  if (found.exists) console.log(`${name} is incomplete (an interrupted run): building it again`)
  const { ledgerDays, days } = parameters
  let template: string | undefined
  if (ledgerDays < days) {
    const settled = await settledMonth({ ...parameters, days: ledgerDays }, concurrency)
    await settled.db.destroy()
    template = settled.name
  }
  await admin(async (c) => {
    await c.query(`drop database if exists ${name} with (force)`)
    await c.query(`create database ${name}${template ? ` template ${template}` : ''}`)
  })
  const db = createDb(url, { maxConnections: PARTITIONS + 3, applicationName: 'bench-reports' })
  await migrate(db)
  const started = performance.now()
  let taps = 0
  if (template) {
    await copySettledDays(db, ledgerDays, days, parameters.cards)
    const counted = await db
      .selectFrom('taps')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow()
    taps = Number(counted.n)
  } else taps = (await settle(db, network, parameters, concurrency)).taps
  const seconds = (performance.now() - started) / 1000
  // Fresh statistics and the visibility map, as autovacuum would keep them on a database that had been running for a month
  // (it vacuums tables after inserts too): without the map no index-only scan (the caps report's partial index) is one.
  await sql`vacuum (analyze)`.execute(db)
  const done: Completion = { complete: true, taps, settleSeconds: seconds, parameters }
  await admin((c) => c.query(`comment on database ${name} is '${JSON.stringify(done)}'`))
  return { name, url, db, network, taps, settleSeconds: seconds, builtNow: true }
}

async function settle(db: Db, network: BenchNetwork, parameters: MonthParameters, concurrency: number): Promise<{ taps: number }> {
  await saveTariffVersion(db, { name: 'bench: 20 operators', effectiveFrom: '2026-01-01T00:00:00+02:00', files: network.files })
  await db
    .insertInto('operators')
    .values(network.operators.map((id) => ({ id, name: `Operator ${id}` })))
    .onConflict((oc) => oc.doNothing())
    .execute()
  await db
    .insertInto('devices')
    .values(allValidators(network.routes).map((v) => ({ id: v.id, operator_id: v.operator, public_key_pem: 'bench: no key' })))
    .execute()
  const cards = benchCards(parameters.cards, network.routes)
  await openCards(db, cards)
  // Statistics as autovacuum keeps them on a running database: the ledger's plans on freshly filled tables need them.
  await sql`analyze`.execute(db)
  const tariffs = createTariffBook()
  const offsets = new Array<number>(PARTITIONS).fill(0)
  let settled = 0
  // BENCH_PHASES=1: wall time per phase of settleBatch, summed over a day's batches (as bench:ledger's).
  const phases = new Map<string, number>()
  const hooks = process.env.BENCH_PHASES === '1' ? { onPhase: (phase: string, ms: number) => void phases.set(phase, (phases.get(phase) ?? 0) + ms) } : {}
  for (let day = 0; day < parameters.ledgerDays; day++) {
    const dayStarted = performance.now()
    const taps = dayTaps(day, cards, parameters.tapsPerDay)
    const partitions = Array.from({ length: PARTITIONS }, () => [] as KafkaMessage[])
    for (const tap of taps) {
      const p = partitionOf(tap.cardToken)
      partitions[p]?.push(message(tap, offsets[p] ?? 0))
      offsets[p] = (offsets[p] ?? 0) + 1
    }
    const results = await inPool(concurrency, partitions, async (messages, partition) => {
      let recorded = 0
      let rejected = 0
      for (let i = 0; i < messages.length; i += parameters.batch) {
        const r = await settleBatch(
          db,
          { consumerGroup: GROUP, topic: TOPIC, partition, messages: messages.slice(i, i + parameters.batch) },
          { tariffs },
          hooks,
        )
        recorded += r.recorded
        rejected += r.rejected.length
        if (r.rejected.length > 0) console.log(`  rejected: ${r.rejected[0]?.code} ${r.rejected[0]?.detail}`)
      }
      return { recorded, rejected }
    })
    await sql`analyze`.execute(db)
    const recorded = results.reduce((a, r) => a + r.recorded, 0)
    const rejected = results.reduce((a, r) => a + r.rejected, 0)
    if (rejected > 0) throw new Error(`${rejected} taps rejected on ${dayOf(day)}: the bench's taps must all settle`)
    settled += recorded
    const seconds = (performance.now() - dayStarted) / 1000
    console.log(`  ${dayOf(day)}: ${recorded} taps settled in ${seconds.toFixed(1)} s (${(recorded / seconds).toFixed(0)} taps/s)`)
    for (const [phase, ms] of phases) console.log(`    ${phase.padEnd(28)} ${(ms / 1000).toFixed(1).padStart(7)} s`)
    phases.clear()
  }
  return { taps: settled }
}

/** `work` over every item, at most `concurrency` at a time; results in the items' order. */
async function inPool<T, R>(concurrency: number, items: readonly T[], work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i] as T, i)
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker))
  return results
}

/** Cards with their rider accounts and enough money for the month (no card is denied). */
async function openCards(db: Db, cards: readonly BenchCard[]): Promise<void> {
  const clearing = await systemAccountId(db, 'top_up_clearing', 'UAH')
  for (let i = 0; i < cards.length; i += 2000) {
    const chunk = cards.slice(i, i + 2000)
    const accounts = await db
      .insertInto('accounts')
      .values(chunk.map(() => ({ kind: 'rider' as const, currency: 'UAH' })))
      .returning('id')
      .execute()
    await db
      .insertInto('cards')
      .values(accounts.map((a, k) => ({ card_token: chunk[k]?.token as string, account_id: a.id, rider_category_id: chunk[k]?.category as string })))
      .execute()
    const topUps: TransferToPost[] = accounts.map((a) => ({
      debitAccountId: clearing,
      creditAccountId: a.id,
      amount: parseAmount('3000.00'),
      currency: 'UAH',
      kind: 'top_up',
    }))
    await db.transaction().execute((trx) => postTransfers(trx, topUps))
  }
}

/** The partition ingest's key partitioner would pick is not needed: any stable card-to-partition map keeps a card's taps in order. */
function partitionOf(token: string): number {
  let h = 0
  for (let i = 0; i < token.length; i++) h = (h * 31 + token.charCodeAt(i)) | 0
  return Math.abs(h) % PARTITIONS
}

function message(tap: TapEvent, offset: number): KafkaMessage {
  return {
    key: Buffer.from(tap.cardToken),
    value: Buffer.from(JSON.stringify(tap)),
    timestamp: String(Date.parse(tap.receivedAt)),
    attributes: 0,
    offset: String(offset),
    headers: {},
  }
}
