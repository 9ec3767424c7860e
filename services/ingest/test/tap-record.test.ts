/** The record ingest writes for a tap is exactly the TapEvent the ledger decodes. */

import { parseTapEvent, parseTapInput, TAP_EVENT_SCHEMA } from '@fare/contracts'
import fc from 'fast-check'
import t from 'tap'
import { tapRecordEncoder } from '../src/tap-record.ts'

const id = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/)
const tapArb = fc.record(
  {
    tapId: fc.uuid({ version: 7 }),
    cardToken: fc.stringMatching(/^[A-Za-z0-9_.:-]{8,128}$/),
    kind: fc.constantFrom('entry' as const, 'exit' as const),
    tappedAt: fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
    routeId: id,
    stopId: id,
    vehicleId: id,
    deviceSeq: fc.nat(),
  },
  { requiredKeys: ['tapId', 'cardToken', 'kind', 'tappedAt', 'routeId'] },
)

t.test('the value is the parsed tap with the device, operator and arrival time added, and the ledger parses it back unchanged', async (t) => {
  const context = { deviceId: 'validator-07', operatorId: 'lutsk-bus', receivedAt: '2026-11-28T10:00:00.000Z' }
  const encode = tapRecordEncoder(context)
  let checked = 0
  fc.assert(
    fc.property(tapArb, (tap) => {
      const input = parseTapInput(tap)
      if (!input.ok) return true // only parsed taps reach the encoder
      checked++
      const record = encode(input.value)
      const event = parseTapEvent(JSON.parse(record.value))
      const written = JSON.stringify({ schema: TAP_EVENT_SCHEMA, ...input.value, ...context })
      return record.key === tap.cardToken && record.value === written && event.ok && JSON.stringify(event.value) === written
    }),
    { numRuns: 2000 },
  )
  t.ok(checked > 1900, `${checked} of 2,000 generated taps were valid input and round-tripped`)
})

t.test('context values are escaped as JSON', async (t) => {
  const encode = tapRecordEncoder({ deviceId: 'dev"ice\\1', operatorId: 'op\n1', receivedAt: '2026-11-28T10:00:00.000Z' })
  const record = encode({
    tapId: '01a22359-4902-7338-9363-1a8f9937720c',
    cardToken: 'ct_12345678',
    kind: 'entry',
    tappedAt: '2026-11-28T09:59:00Z',
    routeId: '10',
  })
  t.match(JSON.parse(record.value), { deviceId: 'dev"ice\\1', operatorId: 'op\n1' })
})
