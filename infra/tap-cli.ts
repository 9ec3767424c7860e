/**
 * `pnpm tap`: get a device token the way a validator does (an assertion signed
 * with the demo device's key, traded at POST /v1/auth/device-token), post one
 * tap to ingest, then show the card's balance once the ledger has settled it.
 *   pnpm tap --card ct_demo_adult_0001 [--route 10] [--stop S1] [--kind entry] [--device validator-bus-10-01]
 */
import { parseArgs } from 'node:util'
import { newTapId } from '@fare/contracts'
import { DEMO_DEVICES } from './demo.ts'
import { devAdminToken, fetchDeviceToken } from './dev-auth.ts'

const { values } = parseArgs({
  options: {
    card: { type: 'string', default: 'ct_demo_adult_0001' },
    route: { type: 'string' },
    stop: { type: 'string' },
    kind: { type: 'string', default: 'entry' },
    device: { type: 'string', default: DEMO_DEVICES[0].id },
    ingest: { type: 'string', default: process.env.INGEST_URL ?? 'http://127.0.0.1:8080' },
    api: { type: 'string', default: process.env.API_URL ?? 'http://127.0.0.1:8082' },
  },
})
const device = DEMO_DEVICES.find((d) => d.id === values.device)
if (!device) {
  console.error(`unknown demo device ${values.device}; one of ${DEMO_DEVICES.map((d) => d.id).join(', ')}`)
  process.exit(2)
}

async function balance(): Promise<string> {
  const res = await fetch(`${values.api}/v1/cards/${encodeURIComponent(values.card)}/balance`, { headers: { authorization: `Bearer ${devAdminToken()}` } })
  const body = (await res.json()) as { balance?: { amount: string; currency: string }; error?: { code: string } }
  return body.balance ? `${body.balance.amount} ${body.balance.currency}` : `(${body.error?.code ?? res.status})`
}

const before = await balance()
const tap = {
  tapId: newTapId(),
  cardToken: values.card,
  kind: values.kind,
  tappedAt: new Date().toISOString(),
  routeId: values.route ?? device.routeId,
  stopId: values.stop ?? device.stopId,
}
const deviceToken = await fetchDeviceToken(values.api, device.id)
const res = await fetch(`${values.ingest}/v1/taps`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${deviceToken}` },
  body: JSON.stringify({ taps: [tap] }),
})
console.log(`POST /v1/taps -> ${res.status} ${JSON.stringify(await res.json())}`)
if (!res.ok) process.exit(1)

let after = before
for (let i = 0; i < 50 && after === before; i++) {
  await new Promise((r) => setTimeout(r, 200))
  after = await balance()
}
console.log(`balance of ${values.card}: ${before} -> ${after}`)
