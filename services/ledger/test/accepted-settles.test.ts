/**
 * The tap contract as a property (600 requests): any tap real ingest answers `accepted`
 * (bodies from fast-check: routes and stops of the demo tariff, ids in every
 * letter case and of every UUID version, times in the edge forms RFC 3339
 * allows and some it does not, repeats in one request) was sent to the real
 * broker once per request, decodes in the ledger as the same tap in
 * canonical form, passes the ledger's checks, and rates in the fare engine
 * without throwing, at the same instant (ms) the ledger reads.
 */

import { readFileSync } from 'node:fs'
import { DEFAULT_TAP_WINDOW, type TapRecord } from '@fare/contracts'
import { parseInstant } from '@fare/fares'
import { buildApp, type TapSink } from '@fare/ingest'
import type { KafkaMessage } from '@fare/platform'
import { createMetricsRegistry } from '@fare/platform'
import { createTariffBook, readFeedFolder, saveTariffVersion } from '@fare/tariffs'
import fc from 'fast-check'
import t from 'tap'
import { DEMO_TARIFF_FOLDER, TEST_TARIFF_EFFECTIVE_FROM } from '../../../test/support/stack.ts'
import { OPERATOR, startEdgeStack } from '../../../test/validator/support.ts'
import { decodeTapMessage } from '../src/decode.ts'
import { planCard, spanOf } from '../src/rating.ts'
import { type Candidate, checkRecords } from '../src/records.ts'

const WINDOW = DEFAULT_TAP_WINDOW

const stack = await startEdgeStack('contract-prop')
t.teardown(() => stack.close())
await saveTariffVersion(stack.database.db, { name: 'demo', effectiveFrom: TEST_TARIFF_EFFECTIVE_FROM, files: readFeedFolder(DEMO_TARIFF_FOLDER) })
const tariffs = createTariffBook()
await tariffs.refresh(stack.database.db)

/** The real Kafka sink, keeping what each request sent so each accepted tap can be followed. */
let sent: TapRecord[] = []
let sentTotal = 0
const sink: TapSink = {
  async send(records) {
    await stack.sink.send(records)
    sent.push(...records)
    sentTotal += records.length
  },
  ready: () => stack.sink.ready(),
  close: async () => undefined,
}
const ingest = await buildApp(
  { logger: stack.topics.logger, sink, registry: createMetricsRegistry('ingest'), jwtPublicKeyPem: stack.issuer.publicKeyPem },
  { tapWindow: WINDOW, bodyLimitBytes: 512 * 1024, rateLimitPerMinute: 1_000_000 },
)
t.teardown(() => ingest.close())
const token = stack.issuer.deviceToken('val-contract-prop', OPERATOR)

const column = (file: string): string[] =>
  readFileSync(new URL(file, `file://${DEMO_TARIFF_FOLDER}`), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',')[0] as string)
const ROUTES = column('routes.txt')
const STOPS = column('stops.txt')

const pad = (n: number, width = 2): string => String(Math.abs(n)).padStart(width, '0')

/** A time as text, and the instant (ms) it means when it is a valid one; `invalid` when it must be refused, neither when unknown. */
interface TimeText {
  text: string
  ms?: number
  invalid?: true
}

/** RFC 3339 text for an instant near now: any offset (some beyond ±14:00), 0 to 12 fraction digits, `T`/`Z` in either case. */
const writtenTime: fc.Arbitrary<TimeText> = fc
  .record({
    ago: fc.integer({ min: -(WINDOW.maxFutureSkewSeconds - 60) * 1000, max: (WINDOW.maxAgeDays - 1) * 86_400_000 }),
    offset: fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: -14 * 60, max: 14 * 60 }) },
      { weight: 1, arbitrary: fc.constantFrom(0, 14 * 60, -14 * 60) },
      { weight: 1, arbitrary: fc.integer({ min: 14 * 60 + 1, max: 23 * 60 + 59 }).map((m) => (m % 2 === 0 ? m : -m)) },
    ),
    utcAs: fc.constantFrom('Z', 'z', '+00:00', '-00:00'),
    t: fc.constantFrom('T', 't'),
    extraDigits: fc.stringMatching(/^[0-9]{0,9}$/),
    fractionDigits: fc.integer({ min: 0, max: 3 }),
  })
  .map(({ ago, offset, utcAs, t: sep, extraDigits, fractionDigits }) => {
    const ms = Date.now() - ago
    const wall = new Date(ms + offset * 60_000)
    const millis = pad(wall.getUTCMilliseconds(), 3)
    // Fewer than 3 digits drop the finer ones from the instant as well; more add digits that must be cut.
    const fraction = fractionDigits < 3 ? millis.slice(0, fractionDigits) : millis + extraDigits
    const zone = offset === 0 ? utcAs : `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`
    const date = `${pad(wall.getUTCFullYear(), 4)}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}`
    const time = `${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}`
    const text = `${date}${sep}${time}${fraction === '' ? '' : `.${fraction}`}${zone}`
    const meant = ms - Number(millis) + Number(fraction.slice(0, 3).padEnd(3, '0'))
    return Math.abs(offset) <= 14 * 60 && fraction.length <= 9 ? { text, ms: meant } : { text, invalid: true as const }
  })

/** A written time with a character inserted or dropped, or any string at all (some are still valid: what they mean is not known). */
const brokenTime: fc.Arbitrary<TimeText> = fc.oneof(
  fc.tuple(writtenTime, fc.nat(), fc.constantFrom('', ' ', '0', '9', ':', '.', '+', 'T', 'Z', '\u0000', '\n', 'x', '٣')).map(([w, at, c]) => {
    const i = at % w.text.length
    return { text: w.text.slice(0, i) + c + w.text.slice(i + (c === '' ? 1 : 0)) }
  }),
  fc.string({ maxLength: 40 }).map((text) => ({ text })),
)

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`))
const tapId = fc.oneof(
  { weight: 14, arbitrary: fc.uuid({ version: 7 }) },
  { weight: 4, arbitrary: fc.uuid({ version: 7 }).map((id) => id.toUpperCase()) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff') },
  {
    weight: 1,
    arbitrary: fc
      .tuple(hex(8), hex(4), hex(3), hex(3), hex(12), fc.constantFrom('8', '9', 'a', 'b', 'c', '0'))
      .map(([a, b, c, d, e, v]) => `${a}-${b}-7${c}-${v}${d}-${e}`),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
)

const id = (values: readonly string[]) => fc.oneof({ weight: 19, arbitrary: fc.constantFrom(...values) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) })

interface GeneratedTap {
  body: Record<string, unknown>
  time: TimeText
}

const generatedTap: fc.Arbitrary<GeneratedTap> = fc
  .record(
    {
      tapId,
      cardToken: fc.oneof(
        { weight: 9, arbitrary: fc.constantFrom('ct_prop_card_0001', 'ct_prop_card_0002', 'ct_prop_card_0003') },
        { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
      ),
      kind: fc.oneof({ weight: 9, arbitrary: fc.constantFrom('entry', 'exit') }, { weight: 1, arbitrary: fc.constantFrom('Entry', 'entry\u0000') }),
      time: fc.oneof({ weight: 5, arbitrary: writtenTime }, { weight: 1, arbitrary: brokenTime }),
      routeId: id(ROUTES),
      stopId: id(STOPS),
      vehicleId: id(['AC-1234', 'BC-0007']),
      deviceSeq: fc.oneof({ weight: 9, arbitrary: fc.nat() }, { weight: 1, arbitrary: fc.constantFrom(-1, 0.5) }),
    },
    { requiredKeys: ['tapId', 'cardToken', 'kind', 'time', 'routeId'] },
  )
  .map(({ time, ...fields }) => ({ body: { ...fields, tappedAt: time.text }, time }))

/** A repeat of an earlier tap of the request: which one, whether its id changes case, and a new time (or the same). */
const repeat = fc.tuple(fc.nat(), fc.boolean(), fc.option(writtenTime, { nil: undefined }))

/** 1 to 6 taps; about one in four repeats an earlier one, its id's case changed or its time rewritten. */
const request = fc
  .array(fc.tuple(generatedTap, fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: repeat })), { minLength: 1, maxLength: 6 })
  .map((items) => {
    const taps: GeneratedTap[] = []
    for (const [tap, again] of items) {
      const earlier = again ? taps[again[0] % Math.max(taps.length, 1)] : undefined
      if (!earlier || !again) {
        taps.push(tap)
        continue
      }
      const [, changeCase, otherTime] = again
      const idText = String(earlier.body.tapId)
      taps.push({
        body: { ...earlier.body, tapId: changeCase ? idText.toUpperCase() : idText, ...(otherTime ? { tappedAt: otherTime.text } : {}) },
        time: otherTime ?? earlier.time,
      })
    }
    return taps
  })

const CANONICAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(?:Z|[+-]\d{2}:\d{2})$/
const CANONICAL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

function asMessage(record: TapRecord, offset: number): KafkaMessage {
  return {
    key: Buffer.from(record.key),
    value: Buffer.from(record.value),
    offset: String(offset),
    timestamp: String(Date.now()),
    attributes: 0,
    headers: {},
  } as KafkaMessage
}

/** Why an accepted tap breaks the contract, or undefined when it keeps it. */
function brokenContract(tap: GeneratedTap, records: readonly TapRecord[]): string | undefined {
  const sentId = String(tap.body.tapId).toLowerCase()
  const mine = records.filter((r) => (JSON.parse(r.value) as { tapId: string }).tapId === sentId)
  if (mine.length !== 1) return `${mine.length} records sent for ${sentId}`
  const record = mine[0] as TapRecord
  const decoded = decodeTapMessage(asMessage(record, 0))
  if (!decoded.ok) return `the ledger cannot decode ${record.value}: ${decoded.reason}`
  const event = decoded.event
  if (!CANONICAL_ID.test(event.tapId) || !CANONICAL_TIME.test(event.tappedAt)) return `not canonical: ${event.tapId} ${event.tappedAt}`
  if (JSON.stringify(event) !== record.value) return `the ledger reads ${JSON.stringify(event)} from ${record.value}`
  const ledgerMs = Date.parse(event.tappedAt)
  if (tap.time.invalid || (tap.time.ms !== undefined && ledgerMs !== tap.time.ms))
    return `${tap.time.text} accepted as ${event.tappedAt} (${ledgerMs}), meant ${tap.time.ms ?? 'no valid time'}`
  if (parseInstant(event.tappedAt) !== ledgerMs) return `the engine reads ${event.tappedAt} as ${parseInstant(event.tappedAt)}, the ledger as ${ledgerMs}`
  const why: string[] = []
  const candidates: Candidate[] = checkRecords([asMessage(record, 0)], tariffs, WINDOW, (_m, code) => why.push(code))
  // Ingest does not know the tariff: a route or stop it lacks is the ledger's dead letter, with its code.
  const unknown = !ROUTES.includes(event.routeId) ? 'UNKNOWN_ROUTE' : event.stopId !== undefined && !STOPS.includes(event.stopId) ? 'UNKNOWN_STOP' : undefined
  if (unknown !== undefined)
    return why.join() === unknown ? undefined : `the ledger's checks answer ${why.join() || 'nothing'} for ${record.value}, not ${unknown}`
  if (candidates.length !== 1) return `the ledger's checks refuse ${record.value}: ${why.join()}`
  const taps = candidates.map((c) => c.tap)
  try {
    planCard({
      book: tariffs,
      profile: { riderCategoryId: null, riderCategoryValidFrom: null, riderCategoryValidTo: null, fareMediaId: null },
      taps,
      newTapIds: new Set(taps.map((x) => x.tapId)),
      span: spanOf(tariffs, taps, {}),
      posted: { fareByTap: new Map(), concessionByTap: new Map(), splitByJourney: new Map() },
      options: {},
    })
  } catch (err) {
    return `rating ${record.value} throws: ${(err as Error).message}`
  }
  return undefined
}

t.test('every accepted tap decodes in the ledger, canonical and at the instant meant, and rates in the engine', async (t) => {
  const answers = { accepted: 0, rejected: 0 }
  await fc.assert(
    fc.asyncProperty(request, async (taps) => {
      sent = []
      const res = await ingest.inject({
        method: 'POST',
        url: '/v1/taps',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ taps: taps.map((x) => x.body) }),
      })
      if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`)
      const results = (res.json() as { results: { status: string; error?: { code: string } }[] }).results
      if (results.length !== taps.length) throw new Error(`${results.length} results for ${taps.length} taps`)
      for (const [i, result] of results.entries()) {
        if (result.status !== 'accepted') {
          answers.rejected++
          if (!result.error?.code) throw new Error(`rejected without a code: ${JSON.stringify(result)}`)
          continue
        }
        answers.accepted++
        const broken = brokenContract(taps[i] as GeneratedTap, sent)
        if (broken !== undefined) throw new Error(`${JSON.stringify(taps[i]?.body)}: ${broken}`)
      }
    }),
    { numRuns: 600 },
  )
  t.ok(answers.accepted > 400 && answers.rejected > 400, `answers: ${JSON.stringify(answers)}`)
  const admin = stack.topics.kafka.admin()
  await admin.connect()
  t.teardown(() => admin.disconnect())
  const offsets = await admin.fetchTopicOffsets(stack.topics.taps)
  t.equal(
    offsets.reduce((sum, o) => sum + Number(o.high), 0),
    sentTotal,
    'every record sent is on the topic',
  )
})
