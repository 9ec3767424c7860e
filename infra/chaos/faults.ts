/**
 * The faults, each one thing that goes wrong in production, done for real to
 * the stack's own processes, and each followed by the recovery an operator or
 * a supervisor would do (the service started again). Each returns a sentence
 * saying what exactly happened, for the run's report.
 */
import { sql } from 'kysely'
import { shuffle } from '../../test/support/random.ts'
import { childPids, type SupervisedService } from './processes.ts'
import type { ChaosStack } from './stack.ts'

export type FaultKind = 'ledger-kill-in-transaction' | 'two-ledgers' | 'ingest-worker-kill' | 'ingest-kill' | 'kafka-restart' | 'postgres-restart'

export const ALL_FAULTS: readonly FaultKind[] = [
  'ledger-kill-in-transaction',
  'two-ledgers',
  'ingest-worker-kill',
  'ingest-kill',
  'kafka-restart',
  'postgres-restart',
]

export interface FaultRecord {
  kind: FaultKind
  at: Date
  seconds: number
  ok: boolean
  detail: string
}

export interface FaultContext {
  stack: ChaosStack
  random: () => number
  sleep: (ms: number) => Promise<void>
  /** How long two ledgers share the group. */
  twoLedgersMs: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The ledger slot that runs (the first when both do). */
function runningLedger(stack: ChaosStack): SupervisedService {
  return stack.ledgers.find((l) => l.pid !== undefined) ?? stack.ledgers[0]
}

/**
 * Waits until some ledger connection holds a transaction that has written
 * (a batch being settled: it has a transaction id and has not committed).
 * Returns the backend's description, or undefined if none was seen in time.
 */
async function openLedgerTransaction(stack: ChaosStack, timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const rows = await sql<{ pid: number; state: string; xid: string; age_ms: string }>`
      select pid, state, backend_xid::text as xid, (extract(epoch from now() - xact_start) * 1000)::int::text as age_ms
      from pg_stat_activity where application_name = 'ledger' and backend_xid is not null`
      .execute(stack.db)
      .catch(() => ({ rows: [] }))
    const row = rows.rows[0]
    if (row) return `backend ${row.pid} ${row.state}, transaction ${row.xid} open ${row.age_ms} ms`
    await sleep(5)
  }
  return undefined
}

/**
 * Ingest's cluster workers: children of the primary that said they listen
 * (the primary has other children, such as tsx's esbuild service).
 */
function ingestWorkers(stack: ChaosStack): number[] {
  const primary = stack.ingest.pid
  if (primary === undefined) return []
  const listening = new Set((stack.ingest.process?.logs ?? []).filter((l) => /listening at/.test(String(l.msg))).map((l) => Number(l.pid)))
  return childPids(primary).filter((pid) => listening.has(pid))
}

export async function injectFault(kind: FaultKind, ctx: FaultContext): Promise<string> {
  const { stack } = ctx
  switch (kind) {
    case 'ledger-kill-in-transaction': {
      const ledger = runningLedger(stack)
      const open = await openLedgerTransaction(stack, 20_000)
      const pid = ledger.pid
      await ledger.kill('SIGKILL')
      const started = Date.now()
      await ledger.start()
      const how = open ? `with a batch transaction open (${open})` : 'no open batch transaction seen within 20 s: killed anyway'
      return `SIGKILL ${ledger.label} (pid ${pid}) ${how}; started again, consuming after ${seconds(started)}`
    }
    case 'two-ledgers': {
      const [a, b] = stack.ledgers
      const idle = a.pid === undefined ? a : b
      const started = Date.now()
      const second = await idle.start()
      // Sharing means the newcomer was given partitions (the group rebalanced), not merely that it runs.
      const assigned = await second.waitForLog((l) => l.msg === 'partitions assigned', 90_000).catch(() => undefined)
      const share = assigned
        ? `was assigned partitions ${JSON.stringify(assigned.partitions)} after ${seconds(started)}`
        : 'was assigned no partition within 90 s'
      await ctx.sleep(ctx.twoLedgersMs)
      // One of the pair dies without a goodbye; its partitions must move to the survivor.
      const victim = ctx.random() < 0.5 ? a : b
      const pid = victim.pid
      await victim.kill('SIGKILL')
      const together = `both ran ${Math.round(ctx.twoLedgersMs / 1000)} s more`
      const end = `then SIGKILL ${victim.label} (pid ${pid}), the other carries on alone`
      return `${idle.label} joined the group beside the running ledger and ${share}; ${together}; ${end}`
    }
    case 'ingest-worker-kill': {
      const before = ingestWorkers(stack)
      const victim = before[Math.floor(ctx.random() * before.length)]
      const primary = stack.ingest.pid
      if (primary === undefined || victim === undefined) throw new Error('no ingest worker to kill')
      process.kill(victim, 'SIGKILL')
      const started = Date.now()
      // The primary forks a replacement, which says it is listening.
      await stack.ingest.process?.waitForLog((l) => /listening at/.test(String(l.msg)) && l.pid !== victim && !before.includes(Number(l.pid)), 180_000)
      return `SIGKILL ingest worker ${victim} (of ${before.join(', ')}); the primary forked a new one, listening after ${seconds(started)}`
    }
    case 'ingest-kill': {
      const pid = stack.ingest.pid
      const workers = ingestWorkers(stack)
      await stack.ingest.kill('SIGKILL')
      // Validators meet a closed port for a moment, as they would while a host reboots.
      await ctx.sleep(2000)
      const started = Date.now()
      await stack.ingest.start()
      return `SIGKILL the whole ingest (primary ${pid}, workers ${workers.join(', ')}); down 2 s, then started again, listening after ${seconds(started)}`
    }
    case 'kafka-restart': {
      const stopped = Date.now()
      await stack.kafka.stop()
      const stopTook = seconds(stopped)
      await ctx.sleep(3000)
      const started = Date.now()
      await stack.kafka.start()
      return `kafka.sh stop (controlled shutdown, ${stopTook}); down 3 s; kafka.sh start, broker answering after ${seconds(started)}`
    }
    case 'postgres-restart': {
      const mode = ctx.random() < 0.5 ? 'immediate' : 'fast'
      const started = Date.now()
      await stack.postgres.restart(mode)
      const what = mode === 'immediate' ? 'a crash: every backend killed, recovery from the WAL' : 'sessions ended, a clean restart'
      return `pg_ctl restart -m ${mode} (${what}); accepting connections after ${seconds(started)}`
    }
  }
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`
}

/**
 * Faults one after another, 2 to 5 s apart, in rounds: each round holds every
 * kind once and the ledger kill `ledgerKills` times, in a seeded order. The
 * first round always runs whole; more follow until `minutes` have passed.
 */
export async function injectRounds(
  ctx: FaultContext,
  options: { minutes: number; ledgerKills: number; log: (line: string) => void; record: (fault: FaultRecord) => void },
): Promise<void> {
  const deadline = Date.now() + options.minutes * 60_000
  const extraLedgerKills = Array.from({ length: Math.max(0, options.ledgerKills - 1) }, (): FaultKind => 'ledger-kill-in-transaction')
  for (let round = 1; round === 1 || Date.now() < deadline; round++) {
    for (const kind of shuffle(ctx.random, [...ALL_FAULTS, ...extraLedgerKills])) {
      if (round > 1 && Date.now() >= deadline) break
      await ctx.sleep(2000 + Math.floor(ctx.random() * 3000))
      const at = new Date()
      options.log(`fault: ${kind}...`)
      let ok = true
      let detail: string
      try {
        detail = await injectFault(kind, ctx)
      } catch (err) {
        ok = false
        detail = `failed: ${(err as Error).message}`
      }
      options.record({ kind, at, seconds: (Date.now() - at.getTime()) / 1000, ok, detail })
      options.log(`fault: ${kind}: ${detail}`)
    }
  }
}
