/**
 * What must hold after the faults, once the ledger has settled everything:
 *  - every tap ingest answered `accepted` is recorded exactly once;
 *  - no tap ingest refused is recorded;
 *  - the ledger's invariants (`pnpm ledger:check`, which runs checkInvariants
 *    with re-rating): every charge equals the fare engine's, the balances sum
 *    to zero, offsets are consistent, and the rest.
 * compareOutcomes, groupViolations and parseViolations are pure (their unit
 * test feeds them a duplicated, a missing and a wrongly recorded tap, and
 * violations); the rest reads the stack's database.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import type { Db } from '@fare/db'
import type { Violation } from '@fare/ledger'
import type { Kafka } from '@fare/platform'
import { sql } from 'kysely'
import { REPO_ROOT } from '../repo-root.ts'
import { ALL_FAULTS, type FaultRecord } from './faults.ts'
import type { TapOutcomes } from './load.ts'

export interface CheckResult {
  name: string
  held: boolean
  detail: string
}

/** What the database holds about the taps the load sent. */
export interface Recorded {
  /** Rows in `taps` per tap id (a primary key makes 2 impossible today; the check does not rely on it). */
  tapRows: ReadonlyMap<string, number>
  /** `fare` transfers per tap id. */
  fareTransfers: ReadonlyMap<string, number>
  /** Tap ids of records the ledger refused (rejected_taps, dead-lettered). */
  ledgerRejected: ReadonlySet<string>
}

const SHOW = 5

function listed(ids: readonly string[]): string {
  return ids.length <= SHOW ? ids.join(', ') : `${ids.slice(0, SHOW).join(', ')} and ${ids.length - SHOW} more`
}

export function compareOutcomes(outcomes: TapOutcomes, recorded: Recorded): CheckResult[] {
  const accepted = [...outcomes.accepted]
  const missing = accepted.filter((id) => (recorded.tapRows.get(id) ?? 0) === 0)
  const doubled = [...recorded.tapRows].filter(([, n]) => n > 1).map(([id, n]) => `${id} x${n}`)
  const doubleCharged = [...recorded.fareTransfers].filter(([, n]) => n > 1).map(([id, n]) => `${id} x${n}`)
  const deadLettered = accepted.filter((id) => recorded.ledgerRejected.has(id))
  const refusedRecorded = [...outcomes.refused].filter(([id]) => (recorded.tapRows.get(id) ?? 0) > 0).map(([id, code]) => `${id} (${code})`)
  return [
    {
      name: 'every accepted tap is recorded',
      held: missing.length === 0,
      detail: missing.length === 0 ? `${accepted.length} of ${accepted.length}` : `${missing.length} of ${accepted.length} missing: ${listed(missing)}`,
    },
    {
      name: 'no tap is recorded twice',
      held: doubled.length === 0 && doubleCharged.length === 0,
      detail:
        doubled.length + doubleCharged.length === 0
          ? `${recorded.tapRows.size} taps, one row and at most one fare each`
          : [doubled.length ? `rows: ${listed(doubled)}` : '', doubleCharged.length ? `fare transfers: ${listed(doubleCharged)}` : '']
              .filter(Boolean)
              .join('; '),
    },
    {
      name: 'no accepted tap was dead-lettered',
      held: deadLettered.length === 0,
      detail: deadLettered.length === 0 ? 'none' : `${deadLettered.length}: ${listed(deadLettered)}`,
    },
    {
      name: 'no refused tap is recorded',
      held: refusedRecorded.length === 0,
      detail:
        refusedRecorded.length === 0 ? `${outcomes.refused.size} refused, none recorded` : `${refusedRecorded.length} recorded: ${listed(refusedRecorded)}`,
    },
  ]
}

export async function readRecorded(db: Db): Promise<Recorded> {
  const taps = await sql<{ tap_id: string; n: string }>`select tap_id::text as tap_id, count(*)::text as n from taps group by tap_id`.execute(db)
  const fares = await sql<{ tap_id: string; n: string }>`
    select tap_id::text as tap_id, count(*)::text as n from transfers where kind = 'fare' and tap_id is not null group by tap_id`.execute(db)
  const rejected = await sql<{ tap_id: string }>`select tap_id::text as tap_id from rejected_taps where tap_id is not null`.execute(db)
  return {
    tapRows: new Map(taps.rows.map((r) => [r.tap_id, Number(r.n)])),
    fareTransfers: new Map(fares.rows.map((r) => [r.tap_id, Number(r.n)])),
    ledgerRejected: new Set(rejected.rows.map((r) => r.tap_id)),
  }
}

/** The invariants, grouped the way the task states them; each group lists its violations. */
export function groupViolations(violations: readonly Violation[]): CheckResult[] {
  const groups: { name: string; invariants: readonly string[] }[] = [
    { name: "every charge equals the engine's", invariants: ['each tap charged what the engine says', "each tap's report row agrees with the engine"] },
    { name: 'balances sum to zero', invariants: ['transfers balance', 'cached balance equals sum of transfers', 'transfers well formed'] },
    { name: 'offsets consistent', invariants: ['recorded taps lie below the stored offsets', 'rejected records lie below the stored offsets'] },
  ]
  const named = new Set(groups.flatMap((g) => g.invariants))
  const rest = violations.filter((v) => !named.has(v.invariant))
  const describe = (found: readonly Violation[]) =>
    found.length === 0
      ? 'no violation'
      : `${found.length} violation(s): ${found
          .slice(0, SHOW)
          .map((v) => `[${v.invariant}] ${v.detail}`)
          .join('; ')}`
  return [
    ...groups.map((g) => {
      const found = violations.filter((v) => g.invariants.includes(v.invariant))
      return { name: g.name, held: found.length === 0, detail: describe(found) }
    }),
    { name: 'other ledger invariants', held: rest.length === 0, detail: describe(rest) },
  ]
}

/**
 * `pnpm ledger:check` itself, as an operator runs it, against the stack's
 * database: checkInvariants with re-rating. Its exit code is one check; the
 * VIOLATION lines it prints, grouped, are the others.
 */
export function runLedgerCheck(databaseUrl: string, source: { consumerGroup: string; topic: string }): Promise<CheckResult[]> {
  const script = path.join(REPO_ROOT, 'services/ledger/src/check-cli.ts')
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, '--group', source.consumerGroup, '--topic', source.topic], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, LEDGER_CHECK_RERATE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (c: Buffer) => (output += c.toString()))
    child.stderr.on('data', (c: Buffer) => (output += c.toString()))
    child.on('exit', (code) => {
      const violations = parseViolations(output)
      const last = output.trim().split('\n').at(-1) ?? ''
      resolve([
        ...groupViolations(violations),
        { name: 'pnpm ledger:check passes', held: code === 0, detail: code === 0 ? last : `exit ${code}: ${output.trim().slice(0, 600)}` },
      ])
    })
  })
}

/** The `VIOLATION [invariant] detail` lines check-cli.ts prints. */
export function parseViolations(output: string): Violation[] {
  const out: Violation[] = []
  for (const line of output.split('\n')) {
    const match = /^VIOLATION \[(.+?)\] (.*)$/.exec(line)
    if (match) out.push({ invariant: match[1] as string, detail: match[2] as string })
  }
  return out
}

/**
 * Waits until the ledger has settled every record on the topic: each
 * partition's offset stored in Postgres (the ledger's own, written with each
 * batch) has reached the partition's high watermark.
 */
export async function waitSettled(kafka: Kafka, db: Db, source: { consumerGroup: string; topic: string }, timeoutMs: number): Promise<CheckResult> {
  const admin = kafka.admin()
  const deadline = Date.now() + timeoutMs
  let last = ''
  try {
    await admin.connect()
    for (;;) {
      try {
        const highs = await admin.fetchTopicOffsets(source.topic)
        const stored = await db
          .selectFrom('kafka_offsets')
          .select(['partition', 'next_offset'])
          .where('consumer_group', '=', source.consumerGroup)
          .where('topic', '=', source.topic)
          .execute()
        const next = new Map(stored.map((r) => [r.partition, String(r.next_offset)]))
        const behind = highs.filter((o) => o.high !== '0' && next.get(o.partition) !== o.high)
        const records = highs.reduce((n, o) => n + Number(o.high), 0)
        if (behind.length === 0) return { name: 'the ledger settled every record', held: true, detail: `${records} records on ${highs.length} partitions` }
        last = behind.map((o) => `partition ${o.partition}: stored ${next.get(o.partition) ?? 'none'}, high ${o.high}`).join('; ')
      } catch (err) {
        last = (err as Error).message
      }
      if (Date.now() > deadline) return { name: 'the ledger settled every record', held: false, detail: `not within ${timeoutMs / 1000} s: ${last}` }
      await new Promise((r) => setTimeout(r, 500))
    }
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}

/** Every fault was injected and recovered from, and every kind ran. */
export function faultsCheck(faults: readonly FaultRecord[]): CheckResult {
  const failed = faults.filter((f) => !f.ok)
  const missing = ALL_FAULTS.filter((k) => !faults.some((f) => f.kind === k && f.ok))
  return {
    name: 'every fault injected and recovered from',
    held: failed.length === 0 && missing.length === 0,
    detail:
      failed.length + missing.length === 0
        ? `${faults.length} faults, ${ALL_FAULTS.length} kinds`
        : [...failed.map((f) => `${f.kind}: ${f.detail}`), ...missing.map((k) => `${k} never injected`)].join('; '),
  }
}
