/**
 * A ledger test bench on the real broker and a test database of the file's
 * own: produce tap records straight to the file's `taps` topic (ingest is not
 * under test here), run the ledger in this process or as child processes, and
 * wait until every partition's offset stored in Postgres reached the topic's
 * high watermark.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { openCard, topUp } from '@fare/bookkeeping'
import { newTapId, TAP_EVENT_SCHEMA, type TapEvent } from '@fare/contracts'
import { moneyFromDb } from '@fare/db'
import { createTestDatabase, type TestDatabase } from '@fare/db/testing'
import { loadFeedFromFiles, rate, type Tariff } from '@fare/fares'
import { checkInvariants, createLedgerConsumer, type LedgerConsumer } from '@fare/ledger'
import { type Decimal, parseAmount } from '@fare/money'
import { KeyPartitioner, type Producer } from '@fare/platform'
import { createTariffBook, readFeedFolder, saveTariffVersion } from '@fare/tariffs'
import type { Test } from 'tap'
import { serviceCommand } from '../support/entries.ts'
import { createTestTopics, TEST_BROKERS, type TestTopics } from '../support/kafka.ts'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const DEMO_FILES = readFeedFolder(path.join(REPO_ROOT, 'infra/demo-tariff'))
export const DEMO_FROM = '2020-01-01T00:00:00+02:00'

export interface LedgerBench {
  database: TestDatabase
  topics: TestTopics
  producer: Producer
  /** The ledger's consumer group and topic, for `checkInvariants`' offset check. */
  source: { consumerGroup: string; topic: string }
  /** Sends records keyed by card token (one card, one partition), in one request per 500. */
  produce(events: readonly (TapEvent | { raw: string; key: string })[]): Promise<void>
  startInProcess(): Promise<LedgerConsumer>
  spawnLedger(env?: Record<string, string>): ChildProcess
  /** Until every partition's stored next offset equals the high watermark. */
  waitSettled(timeoutMs?: number): Promise<void>
  balance(cardToken: string): Promise<Decimal>
  close(): Promise<void>
}

export async function createLedgerBench(name: string, options: { partitions?: number; tariffFiles?: Record<string, string> } = {}): Promise<LedgerBench> {
  const database = await createTestDatabase()
  await saveTariffVersion(database.db, { name: 'demo', effectiveFrom: DEMO_FROM, files: options.tariffFiles ?? DEMO_FILES })
  const topics = await createTestTopics(name, options.partitions ?? 6)
  const producer = topics.kafka.producer({ allowAutoTopicCreation: false, createPartitioner: KeyPartitioner })
  await producer.connect()
  const consumers: LedgerConsumer[] = []
  const children: ChildProcess[] = []
  const admin = topics.kafka.admin()
  await admin.connect()
  return {
    database,
    topics,
    producer,
    source: { consumerGroup: topics.group, topic: topics.taps },
    async produce(events) {
      for (let i = 0; i < events.length; i += 500) {
        const messages = events.slice(i, i + 500).map((e) => ('raw' in e ? { key: e.key, value: e.raw } : { key: e.cardToken, value: JSON.stringify(e) }))
        await producer.send({ topic: topics.taps, acks: -1, messages })
      }
    },
    async startInProcess() {
      const ledger = createLedgerConsumer({
        kafka: topics.kafka,
        db: database.db,
        logger: topics.logger,
        topic: topics.taps,
        dlqTopic: topics.dlq,
        consumerGroup: topics.group,
        settle: { tariffs: createTariffBook() },
        sessionTimeoutMs: 6000,
      })
      await ledger.start()
      consumers.push(ledger)
      return ledger
    },
    spawnLedger(env = {}) {
      const child = spawn(process.execPath, serviceCommand('ledger'), {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          // The application role: it may not UPDATE or DELETE transfers.
          DATABASE_URL: withAppRole(database.url),
          KAFKA_BROKERS: TEST_BROKERS.join(','),
          TAPS_TOPIC: topics.taps,
          DLQ_TOPIC: topics.dlq,
          LEDGER_GROUP: topics.group,
          LEDGER_PORT: '0',
          LEDGER_SESSION_TIMEOUT_MS: '6000',
          LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
          ...env,
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      })
      children.push(child)
      return child
    },
    async waitSettled(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const offsets = await admin.fetchTopicOffsets(topics.taps)
        const stored = await database.db.selectFrom('kafka_offsets').select(['partition', 'next_offset']).where('topic', '=', topics.taps).execute()
        const next = new Map(stored.map((r) => [r.partition, r.next_offset]))
        if (offsets.every((o) => o.high === '0' || next.get(o.partition) === o.high)) return
        if (Date.now() > deadline) throw new Error(`not settled: ${JSON.stringify(offsets.map((o) => [o.partition, o.high, next.get(o.partition)]))}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
    async balance(cardToken) {
      const row = await database.db
        .selectFrom('cards')
        .innerJoin('accounts', 'accounts.id', 'cards.account_id')
        .select('accounts.balance')
        .where('card_token', '=', cardToken)
        .executeTakeFirst()
      return moneyFromDb(row?.balance ?? '0')
    },
    async close() {
      for (const c of consumers) await c.stop().catch(() => undefined)
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await producer.disconnect()
      await admin.disconnect()
      await database.drop()
    },
  }
}

export function withAppRole(url: string): string {
  const u = new URL(url)
  u.username = 'fare_app'
  u.password = ''
  return u.toString()
}

export interface TapSpec {
  card: string
  time: string
  kind?: 'entry' | 'exit'
  route?: string
  stop?: string
  device?: string
  operator?: string
  tapId?: string
  /** Arrival at ingest (default: the tap time). */
  receivedAt?: string
}

export function tapEvent(spec: TapSpec): TapEvent {
  return {
    schema: TAP_EVENT_SCHEMA,
    tapId: spec.tapId ?? newTapId(),
    cardToken: spec.card,
    kind: spec.kind ?? 'entry',
    tappedAt: spec.time,
    routeId: spec.route ?? 'bus-10',
    stopId: spec.stop ?? 'S1',
    deviceId: spec.device ?? `dev-${spec.route ?? 'bus-10'}`,
    operatorId: spec.operator ?? 'lutsk-bus',
    receivedAt: spec.receivedAt ?? spec.time,
  }
}

/** Opens a card with money on it (idempotent top-up key). */
export async function fundCard(db: TestDatabase['db'], card: string, amount: string, profile: { riderCategoryId?: string } = {}): Promise<string> {
  const accountId = await db.transaction().execute((trx) => openCard(trx, { cardToken: card, currency: 'UAH', ...profile }))
  await topUp(db, { accountId, amount: parseAmount(amount), idempotencyKey: `fund:${card}` })
  return accountId
}

/** What the pure engine charges a card for a set of taps (the ledger's reference). */
export function engineTotal(tariff: Tariff, events: readonly TapEvent[], riderCategoryId = 'adult'): Decimal {
  const unique = new Map(events.map((e) => [e.tapId, e]))
  return rate(
    tariff,
    { riderCategoryId },
    [...unique.values()].map((e) => ({
      tapId: e.tapId,
      kind: e.kind,
      routeId: e.routeId,
      ...(e.stopId ? { stopId: e.stopId } : {}),
      deviceId: e.deviceId,
      time: e.tappedAt,
    })),
  ).total
}

export const demoTariff = (): Tariff => loadFeedFromFiles(DEMO_FILES)

const ROUTES = [
  { route: 'bus-10', stops: ['S1', 'S2', 'S4', 'S6', 'S8'], operator: 'lutsk-bus' },
  { route: 'bus-2', stops: ['S1', 'S2', 'S9'], operator: 'lutsk-bus' },
  { route: 'trolley-4', stops: ['S3', 'S8'], operator: 'lutsk-trolley' },
  { route: 'trolley-1', stops: ['S1', 'S2', 'S6'], operator: 'lutsk-trolley' },
] as const
const CATEGORIES = ['adult', 'adult', 'adult', 'pupil', 'pensioner'] as const

export interface Fleet {
  cards: { token: string; category: string }[]
  taps: TapEvent[]
}

/** Random cards and taps over a few days of March 2026 (a seeded generator: `next()` returns [0, 1)). */
export function randomFleet(next: () => number, options: { cards: number; taps: number; days?: number; prefix: string }): Fleet {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T
  const cards = Array.from({ length: options.cards }, (_, i) => ({ token: `${options.prefix}-${String(i).padStart(5, '0')}`, category: pick(CATEGORIES) }))
  const start = Date.parse('2026-03-02T05:00:00+02:00')
  const spanMs = (options.days ?? 3) * 86_400_000
  const taps = Array.from({ length: options.taps }, () => {
    const card = pick(cards)
    const r = pick(ROUTES)
    const ms = start + Math.floor(next() * spanMs)
    const time = new Date(ms).toISOString()
    return tapEvent({ card: card.token, time, route: r.route, stop: pick(r.stops), device: `dev-${r.route}-${Math.floor(next() * 3)}`, operator: r.operator })
  })
  return { cards, taps }
}

/** Opening balance minus what the engine charges each card for its (unique) taps. */
export function expectedBalances(tariff: Tariff, fleet: Fleet, opening: Decimal): Map<string, Decimal> {
  const out = new Map<string, Decimal>()
  for (const card of fleet.cards) {
    const mine = fleet.taps.filter((t) => t.cardToken === card.token)
    out.set(card.token, mine.length === 0 ? opening : opening.minus(engineTotal(tariff, mine, card.category)))
  }
  return out
}

export async function fundFleet(db: TestDatabase['db'], fleet: Fleet, amount: string): Promise<void> {
  for (const card of fleet.cards) await fundCard(db, card.token, amount, { riderCategoryId: card.category })
}

export async function balancesOf(db: TestDatabase['db'], tokens: readonly string[]): Promise<Map<string, Decimal>> {
  const rows = await db
    .selectFrom('cards')
    .innerJoin('accounts', 'accounts.id', 'cards.account_id')
    .select(['card_token', 'accounts.balance'])
    .where('card_token', 'in', tokens)
    .execute()
  return new Map(rows.map((r) => [r.card_token, moneyFromDb(r.balance)]))
}

export { seeded, shuffle } from '../support/random.ts'

/**
 * What every fault test ends with: the invariants hold (what `pnpm ledger:check`
 * runs), every balance is exactly the pure engine's over the whole set of taps,
 * and every tap was recorded once.
 */
export async function assertSettledExactly(t: Test, bench: LedgerBench, fleet: Fleet, opening: Decimal): Promise<void> {
  t.same(await checkInvariants(bench.database.db, { source: bench.source }), [], 'ledger:check passes')
  const expected = expectedBalances(demoTariff(), fleet, opening)
  const actual = await balancesOf(
    bench.database.db,
    fleet.cards.map((c) => c.token),
  )
  const wrong = [...expected].filter(([token, want]) => actual.get(token)?.equals(want) !== true)
  t.same(
    wrong.map(([token, want]) => `${token}: want ${want.toFixed(2)} got ${actual.get(token)?.toFixed(2)}`),
    [],
    'every balance equals the engine over the set',
  )
  const recorded = await bench.database.db
    .selectFrom('taps')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow()
  t.equal(recorded.n, String(fleet.taps.length), 'every tap recorded once')
}
