import { EnvReader } from '@fare/platform'
import t from 'tap'
import { checkTapWindow, DEFAULT_TAP_WINDOW, readTapWindow } from '../src/index.ts'

const RECEIVED = Date.parse('2026-07-05T08:15:03.120Z')
const DAY_MS = 86_400_000

t.test('one window: both bounds included, each side named', async (t) => {
  const w = { maxAgeDays: 31, maxFutureSkewSeconds: 300 }
  t.equal(checkTapWindow(RECEIVED, RECEIVED, w), 'ok')
  t.equal(checkTapWindow(RECEIVED + 300_000, RECEIVED, w), 'ok', 'exactly the skew ahead')
  t.equal(checkTapWindow(RECEIVED + 300_001, RECEIVED, w), 'TOO_FAR_AHEAD')
  t.equal(checkTapWindow(RECEIVED - 31 * DAY_MS, RECEIVED, w), 'ok', 'exactly the age behind')
  t.equal(checkTapWindow(RECEIVED - 31 * DAY_MS - 1, RECEIVED, w), 'TOO_OLD')
  t.equal(checkTapWindow(Number.NaN, RECEIVED, w), 'TOO_OLD', 'not an instant: outside')
})

t.test('one env reader for both services: the same names and defaults', async (t) => {
  t.same(readTapWindow(new EnvReader({})), DEFAULT_TAP_WINDOW)
  t.same(readTapWindow(new EnvReader({ TAP_MAX_AGE_DAYS: '7', TAP_MAX_FUTURE_SKEW_SECONDS: '60' })), { maxAgeDays: 7, maxFutureSkewSeconds: 60 })
  const bad = new EnvReader({ TAP_MAX_AGE_DAYS: '0' })
  readTapWindow(bad)
  t.throws(() => bad.done(), /TAP_MAX_AGE_DAYS/)
})
