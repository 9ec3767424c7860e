/**
 * The chaos run's verdict is only as good as its checks: each check of what
 * ingest answered against what the ledger recorded must fail on the fault it
 * is there to find (a lost, a doubled, a dead-lettered, a wrongly recorded
 * tap), and the invariant groups must fail on any violation, named or not.
 */
import t from 'tap'
import { ALL_FAULTS, type FaultRecord } from '../../infra/chaos/faults.ts'
import type { TapOutcomes } from '../../infra/chaos/load.ts'
import { compareOutcomes, faultsCheck, groupViolations, parseViolations, type Recorded } from '../../infra/chaos/verify.ts'

const outcomes = (accepted: string[], refused: [string, string][] = []): TapOutcomes => ({
  accepted: new Set(accepted),
  refused: new Map(refused),
  unanswered: 0,
})
const recorded = (rows: [string, number][], fares: [string, number][] = [], rejected: string[] = []): Recorded => ({
  tapRows: new Map(rows),
  fareTransfers: new Map(fares),
  ledgerRejected: new Set(rejected),
})
const failed = (checks: { name: string; held: boolean }[]) => checks.filter((c) => !c.held).map((c) => c.name)

t.test('all held: every accepted tap recorded once, the refused one not at all', async (t) => {
  const checks = compareOutcomes(
    outcomes(['a', 'b'], [['r', 'TAP_TIME_OUT_OF_RANGE']]),
    recorded(
      [
        ['a', 1],
        ['b', 1],
      ],
      [['a', 1]],
    ),
  )
  t.same(failed(checks), [])
})

t.test('a missing accepted tap fails "every accepted tap is recorded"', async (t) => {
  const checks = compareOutcomes(outcomes(['a', 'b']), recorded([['a', 1]]))
  t.same(failed(checks), ['every accepted tap is recorded'])
  t.match(checks[0]?.detail, /1 of 2 missing: b/)
})

t.test('a duplicated tap (two rows, or two fare transfers) fails "no tap is recorded twice"', async (t) => {
  t.same(
    failed(
      compareOutcomes(
        outcomes(['a']),
        recorded([
          ['a', 2],
          ['x', 1],
        ]),
      ),
    ),
    ['no tap is recorded twice'],
  )
  t.same(failed(compareOutcomes(outcomes(['a']), recorded([['a', 1]], [['a', 2]]))), ['no tap is recorded twice'])
})

t.test('a refused tap that was recorded fails "no refused tap is recorded"', async (t) => {
  const checks = compareOutcomes(
    outcomes(['a'], [['r', 'TAP_INVALID']]),
    recorded([
      ['a', 1],
      ['r', 1],
    ]),
  )
  t.same(failed(checks), ['no refused tap is recorded'])
  t.match(checks.find((c) => !c.held)?.detail, /r \(TAP_INVALID\)/)
})

t.test('an accepted tap the ledger dead-lettered fails (and is missing)', async (t) => {
  t.same(failed(compareOutcomes(outcomes(['a']), recorded([], [], ['a']))), ['every accepted tap is recorded', 'no accepted tap was dead-lettered'])
})

t.test('invariant violations fail their group; unknown invariants fail "other ledger invariants"', async (t) => {
  t.same(failed(groupViolations([])), [])
  t.same(failed(groupViolations([{ invariant: 'each tap charged what the engine says', detail: 'tap a: posted 8.00, engine 10.00' }])), [
    "every charge equals the engine's",
  ])
  t.same(failed(groupViolations([{ invariant: 'transfers balance', detail: 'balances in UAH sum to 1.00, not 0' }])), ['balances sum to zero'])
  t.same(failed(groupViolations([{ invariant: 'recorded taps lie below the stored offsets', detail: 'tap a at 0/5' }])), ['offsets consistent'])
  t.same(failed(groupViolations([{ invariant: 'a new invariant', detail: 'x' }])), ['other ledger invariants'])
})

t.test("ledger:check's VIOLATION lines are read back as violations", async (t) => {
  const output = [
    'VIOLATION [each tap charged what the engine says] tap a (card c): posted 8.00, engine 10.00',
    'VIOLATION [transfers balance] balances in UAH sum to 1.00, not 0',
    'ledger:check: 2 violation(s)',
  ].join('\n')
  const violations = parseViolations(output)
  t.same(violations, [
    { invariant: 'each tap charged what the engine says', detail: 'tap a (card c): posted 8.00, engine 10.00' },
    { invariant: 'transfers balance', detail: 'balances in UAH sum to 1.00, not 0' },
  ])
  t.same(failed(groupViolations(violations)), ["every charge equals the engine's", 'balances sum to zero'])
})

t.test('a fault that failed, or a kind never injected, fails "every fault injected and recovered from"', async (t) => {
  const done = (kind: FaultRecord['kind'], ok = true): FaultRecord => ({ kind, at: new Date(), seconds: 1, ok, detail: ok ? 'done' : 'failed: not ready' })
  t.ok(faultsCheck(ALL_FAULTS.map((k) => done(k))).held)
  const failedOne = faultsCheck([...ALL_FAULTS.filter((k) => k !== 'kafka-restart').map((k) => done(k)), done('kafka-restart', false)])
  t.notOk(failedOne.held)
  t.match(failedOne.detail, /kafka-restart: failed: not ready/)
  const missingOne = faultsCheck(ALL_FAULTS.filter((k) => k !== 'two-ledgers').map((k) => done(k)))
  t.notOk(missingOne.held)
  t.match(missingOne.detail, /two-ledgers never injected/)
})
