/**
 * `pnpm validator`: a validator simulator on the command line. It records taps
 * in its local store, syncs the deny list, uploads in batches until everything
 * is accepted (retrying with backoff), and prints what happened.
 *
 *   pnpm validator --device validator-bus-10-01 --key .cache/dev-keys/validator-bus-10-01.key.pem \
 *     --cards 4 --taps 20 [--card-prefix ct_demo_adult_000] [--card ct_demo_adult_0001 ...]
 *     [--ingest http://127.0.0.1:8080] [--api http://127.0.0.1:8082] [--store DIR] [--batch 50]
 *     [--route 10] [--stop S1] [--ca ca.pem] [--cert client.pem --client-key client.key]
 *
 * Run it again with --taps 0 to deliver what an earlier run left in the store.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { TapStore } from './store.ts'
import { DeviceRefusedError, Validator } from './validator.ts'

const { values } = parseArgs({
  options: {
    device: { type: 'string' },
    key: { type: 'string' },
    cards: { type: 'string', default: '4' },
    taps: { type: 'string', default: '10' },
    'card-prefix': { type: 'string', default: 'ct_sim_card_' },
    card: { type: 'string', multiple: true },
    ingest: { type: 'string', default: process.env.INGEST_URL ?? 'http://127.0.0.1:8080' },
    api: { type: 'string', default: process.env.API_URL ?? 'http://127.0.0.1:8082' },
    store: { type: 'string' },
    batch: { type: 'string', default: '50' },
    route: { type: 'string', default: '10' },
    stop: { type: 'string', default: 'S1' },
    ca: { type: 'string' },
    cert: { type: 'string' },
    'client-key': { type: 'string' },
    'deadline-seconds': { type: 'string', default: '300' },
    quiet: { type: 'boolean', default: false },
  },
})

function fail(message: string): never {
  console.error(`validator: ${message}`)
  process.exit(2)
}

const positive = (name: string, raw: string | undefined, min = 0): number => {
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}`)
  return n
}

if (!values.device) fail('--device is required')
if (!values.key) fail('--key (the device private key PEM file) is required')
const deviceId = values.device
const cardCount = positive('cards', values.cards, 1)
const tapCount = positive('taps', values.taps)
const cards = values.card?.length ? values.card : Array.from({ length: cardCount }, (_, i) => `${values['card-prefix']}${String(i + 1).padStart(4, '0')}`)
const read = (file: string | undefined) => (file ? readFileSync(file, 'utf8') : undefined)
const ca = read(values.ca)
const cert = read(values.cert)
const clientKey = read(values['client-key'])

const store = new TapStore(values.store ?? path.join('.cache', 'validator', deviceId))
const validator = new Validator({
  deviceId,
  privateKeyPem: readFileSync(values.key, 'utf8'),
  ingestUrl: values.ingest.replace(/\/$/, ''),
  apiUrl: values.api.replace(/\/$/, ''),
  store,
  batchSize: positive('batch', values.batch, 1),
  tls: { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(clientKey ? { key: clientKey } : {}) },
  ...(values.quiet ? {} : { log: (m: string) => console.error(m) }),
})

try {
  const leftOver = store.pendingCount
  try {
    await validator.syncDenyList()
  } catch (err) {
    if (err instanceof DeviceRefusedError) throw err
    console.error(`deny list not synced (${(err as Error).message}); using the stored one`)
  }
  let denied = 0
  const start = Date.now()
  const taps = Array.from({ length: tapCount }, (_, i) => ({
    cardToken: cards[i % cards.length] as string,
    routeId: values.route,
    stopId: values.stop,
    at: new Date(start - (tapCount - i) * 1000),
  }))
  for (const tap of taps) if (validator.isDenied(tap.cardToken)) denied += 1
  const recorded = validator.record(taps).length
  const result = await validator.drain({ deadlineMs: positive('deadline-seconds', values['deadline-seconds'], 1) * 1000 })
  const summary = {
    device: deviceId,
    recorded,
    deniedAtGate: denied,
    leftOverFromBefore: leftOver,
    ...result,
    stillPending: store.pendingCount,
    seconds: (Date.now() - start) / 1000,
  }
  console.log(JSON.stringify(summary))
  process.exitCode = store.pendingCount === 0 ? 0 : 1
} catch (err) {
  console.error(`validator: ${(err as Error).message}`)
  process.exitCode = 1
} finally {
  validator.close()
}
