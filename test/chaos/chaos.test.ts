/**
 * The small version of `pnpm chaos` the suite runs: every kind of fault once
 * (the ledger killed twice with a batch transaction open) on a stack of the
 * test's own (its own Kafka broker and Postgres cluster, the services started
 * from the suite's compiled build), then every check of the full tool.
 * Whatever happens, the teardown stops everything the run started, and the
 * run itself proves all of it is gone. The checks themselves are tested to
 * fail on a lost, doubled or refused tap in verify.test.ts.
 */
import t from 'tap'
import { ALL_FAULTS } from '../../infra/chaos/faults.ts'
import { formatReport } from '../../infra/chaos/report.ts'
import { runChaos } from '../../infra/chaos/run.ts'
import { compiledBuild } from '../support/build.ts'

// About two minutes on a quiet machine (the broker's start and restart are most of it); far more on a loaded one.
t.setTimeout(900_000)

const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000)

t.test(`chaos, small: every fault once, then every check (seed ${seed})`, async (t) => {
  const result = await runChaos({
    minutes: 0.25,
    seed,
    tapsPerSecond: 10,
    cards: 100,
    ledgerKills: 2,
    twoLedgersSeconds: 5,
    build: compiledBuild(),
    log: (line) => t.comment(line),
    registerCleanup: (cleanup) => t.teardown(cleanup),
  })
  t.comment(formatReport(result))
  for (const check of result.checks) t.ok(check.held, `${check.name}: ${check.detail}`)
  for (const kind of ALL_FAULTS)
    t.ok(
      result.faults.some((f) => f.kind === kind && f.ok),
      `${kind} injected`,
    )
  t.ok(result.faults.filter((f) => f.kind === 'ledger-kill-in-transaction' && f.ok).length >= 2, 'the ledger was killed at least twice')
  t.ok(result.load.accepted > 0 && result.load.refused > 0, `taps accepted (${result.load.accepted}) and refused (${result.load.refused})`)
  t.equal(result.ok, true, 'the run says every check held')
})
