/**
 * Every case of the GTFS-Fares conformance fixtures (copied into
 * test/fixtures/gtfs-fares), through the library and through the command
 * line. The CLI cases run concurrently so the suite stays fast.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { formatAmount } from '@fare/money'
import t from 'tap'
import { FareError, loadFeed, parsePriceRequest, parseRateRequest, priceJourney, rate } from '../src/index.ts'
import { runCli, runTsxCli } from './cli-runner.ts'
import { fixturesRoot } from './helpers.ts'

interface Case {
  id: string
  kind: 'price' | 'rate'
  feed: string
  request: unknown
  expect: { total?: string; currency?: string; error?: string; charges?: Record<string, string> }
  source?: string
  note?: string
}

const suites = readdirSync(fixturesRoot).filter((name) => existsSync(join(fixturesRoot, name, 'cases.json')))
const cases: { suiteDir: string; c: Case }[] = []
for (const suite of suites) {
  const suiteDir = join(fixturesRoot, suite)
  const parsed = JSON.parse(readFileSync(join(suiteDir, 'cases.json'), 'utf8')) as { cases: Case[] }
  for (const c of parsed.cases) cases.push({ suiteDir, c })
}

t.ok(cases.length >= 33, `found ${cases.length} fixture cases`)

t.test('library', async (t) => {
  for (const { suiteDir, c } of cases) {
    t.test(c.id, async (t) => {
      const info = `${c.note ?? ''} [${c.source ?? ''}]`
      let outcome: { total: string; currency: string; charges?: Record<string, string> } | { error: string }
      try {
        const tariff = loadFeed(join(suiteDir, c.feed))
        if (c.kind === 'price') {
          const result = priceJourney(tariff, parsePriceRequest(c.request))
          outcome = { total: formatAmount(result.total, result.currency), currency: result.currency }
        } else {
          const request = parseRateRequest(c.request)
          const rating = rate(tariff, request, request.taps, request.options)
          outcome = {
            total: formatAmount(rating.total, rating.currency),
            currency: rating.currency,
            charges: Object.fromEntries(rating.charges.map((ch) => [ch.tapId, formatAmount(ch.amount, rating.currency)])),
          }
        }
      } catch (error) {
        if (!(error instanceof FareError)) throw error
        outcome = { error: error.code }
      }
      if (c.expect.error !== undefined) t.same(outcome, { error: c.expect.error }, info)
      else {
        t.same(outcome, { total: c.expect.total, currency: c.expect.currency, ...(c.kind === 'rate' ? { charges: c.expect.charges } : {}) }, info)
      }
    })
  }
})

t.test('command line', async (t) => {
  const results = await Promise.all(
    cases.map(async ({ suiteDir, c }) => ({ c, result: await runCli([c.kind, '--feed', join(suiteDir, c.feed)], JSON.stringify(c.request)) })),
  )
  for (const { c, result } of results) {
    t.test(c.id, async (t) => {
      const info = `${c.note ?? ''} [${c.source ?? ''}]`
      t.equal(result.stderr, '', 'nothing on stderr')
      const out = JSON.parse(result.stdout) as {
        total?: string
        currency?: string
        error?: { code: string; message: string }
        charges?: { tapId: string; amount: string }[]
      }
      if (c.expect.error !== undefined) {
        t.equal(result.code, c.expect.error === 'FARE_NOT_FOUND' ? 3 : 2, `exit code: ${info}`)
        t.equal(out.error?.code, c.expect.error, info)
        t.type(out.error?.message, 'string')
      } else {
        t.equal(result.code, 0, info)
        t.equal(out.total, c.expect.total, info)
        t.equal(out.currency, c.expect.currency, info)
        if (c.expect.charges) t.same(Object.fromEntries((out.charges ?? []).map((ch) => [ch.tapId, ch.amount])), c.expect.charges, info)
      }
    })
  }
})

t.test('command line through tsx, as pnpm fares runs it', async (t) => {
  const picks = ['mta-maryland.one-way', 'bart-matrix.glen-ashb-no-rule', 'bart-matrix-typo.dangling-area']
  const chosen = cases.filter(({ c }) => picks.includes(c.id))
  const results = await Promise.all(
    chosen.map(async ({ suiteDir, c }) => ({ c, result: await runTsxCli([c.kind, '--feed', join(suiteDir, c.feed)], JSON.stringify(c.request)) })),
  )
  for (const { c, result } of results) {
    const out = JSON.parse(result.stdout) as { total?: string; error?: { code: string } }
    if (c.expect.error) t.equal(out.error?.code, c.expect.error, c.id)
    else t.equal(out.total, c.expect.total, c.id)
    t.equal(result.code, c.expect.error === undefined ? 0 : c.expect.error === 'FARE_NOT_FOUND' ? 3 : 2, c.id)
  }
})
