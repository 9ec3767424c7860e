/**
 * The load: simulated validators (infra/validator: store-and-forward, retried
 * until ingest answers) tapping random cards at a steady rate, each recording
 * what ingest answered for every tap. A small share of taps is made to be
 * refused (a validator clock days off), so "nothing refused is recorded" is
 * tested with real refusals.
 *
 * Anything that can start, stop, drain and report the same outcomes can take
 * this generator's place (the city simulator, `pnpm simulate`): the fault
 * tool only uses the TapLoad interface.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { RejectedTap } from '../validator/store.ts'
import { TapStore } from '../validator/store.ts'
import { Validator } from '../validator/validator.ts'
import type { ChaosCard, ChaosDevice } from './stack.ts'

/** What ingest answered, per tap id. */
export interface TapOutcomes {
  /** Answered `accepted` (ingest says Kafka has it). */
  accepted: Set<string>
  /** Answered `rejected`, with the error code: never to be recorded. */
  refused: Map<string, string>
  /** Recorded by a validator and never answered (the final drain ran out of time). */
  unanswered: number
}

export interface TapLoad {
  start(): void
  /** Stops recording new taps. */
  stopRecording(): void
  /** Uploads what is pending until nothing is, or the time is up. */
  drain(timeoutMs: number): Promise<void>
  /** Stops all activity (also after a failed drain). */
  close(): Promise<void>
  progress(): { recorded: number; accepted: number; refused: number; pending: number; failedUploads: number }
  outcomes(): TapOutcomes
}

const DAY_MS = 86_400_000

export function createValidatorLoad(options: {
  ingestUrl: string
  apiUrl: string
  devices: readonly ChaosDevice[]
  cards: readonly ChaosCard[]
  tapsPerSecond: number
  /** Share of taps given a time ingest must refuse. */
  refusedShare: number
  random: () => number
  storeRoot: string
}): TapLoad {
  const accepted = new Set<string>()
  let recorded = 0
  let failedUploads = 0
  let recording = false
  let uploading = false
  const loops: Promise<void>[] = []
  const timers: NodeJS.Timeout[] = []
  const pick = <T>(items: readonly T[]): T => items[Math.floor(options.random() * items.length)] as T

  const fleet = options.devices.map((device) => {
    const storeDir = path.join(options.storeRoot, device.id)
    mkdirSync(storeDir, { recursive: true })
    const validator = new Validator({
      deviceId: device.id,
      privateKeyPem: device.privateKeyPem,
      ingestUrl: options.ingestUrl,
      apiUrl: options.apiUrl,
      store: new TapStore(storeDir),
      batchSize: 50,
      // Short waits: a validator back online delivers within seconds, so the run's recovery is what is measured.
      backoffBaseMs: 100,
      backoffCapMs: 2000,
      maxRetryAfterMs: 2000,
      onAccepted: (ids) => {
        for (const id of ids) accepted.add(id)
      },
    })
    return { device, validator, storeDir }
  })

  const perDevicePerTick = options.tapsPerSecond / fleet.length / 10
  function recordTick(unit: (typeof fleet)[number], owed: { n: number }): void {
    owed.n += perDevicePerTick
    const count = Math.floor(owed.n)
    owed.n -= count
    if (count === 0) return
    const now = Date.now()
    const taps = Array.from({ length: count }, () => {
      const refuse = options.random() < options.refusedShare
      // Days ahead or more than a year back: outside any tap window ingest can be configured with.
      const at = refuse ? new Date(options.random() < 0.5 ? now + 2 * DAY_MS : now - 400 * DAY_MS) : new Date(now)
      return { cardToken: pick(options.cards).token, routeId: unit.device.routeId, stopId: pick(unit.device.stops), at }
    })
    recorded += unit.validator.record(taps).length
  }

  async function uploadLoop(unit: (typeof fleet)[number]): Promise<void> {
    while (uploading) {
      if (unit.validator.store.pendingCount === 0) {
        await new Promise((r) => setTimeout(r, 100))
        continue
      }
      const result = await unit.validator.drain({ deadlineMs: 1000, stopWhen: () => !uploading })
      failedUploads += result.failures
    }
  }

  const pending = () => fleet.reduce((n, u) => n + u.validator.store.pendingCount, 0)

  /** The validator's own durable record of refusals (rejected.jsonl in its store). */
  function refused(): Map<string, string> {
    const out = new Map<string, string>()
    for (const unit of fleet) {
      const file = path.join(unit.storeDir, 'rejected.jsonl')
      if (!existsSync(file)) continue
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue
        const r = JSON.parse(line) as RejectedTap
        out.set(r.tap.tapId, r.code)
      }
    }
    return out
  }

  return {
    start() {
      recording = true
      uploading = true
      for (const unit of fleet) {
        const owed = { n: 0 }
        timers.push(setInterval(() => recording && recordTick(unit, owed), 100))
        loops.push(uploadLoop(unit))
      }
    },
    stopRecording() {
      recording = false
      for (const timer of timers.splice(0)) clearInterval(timer)
    },
    async drain(timeoutMs) {
      const deadline = Date.now() + timeoutMs
      while (pending() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
    },
    async close() {
      this.stopRecording()
      uploading = false
      await Promise.all(loops.splice(0))
      for (const unit of fleet) unit.validator.close()
    },
    progress() {
      return { recorded, accepted: accepted.size, refused: refused().size, pending: pending(), failedUploads }
    },
    outcomes() {
      return { accepted: new Set(accepted), refused: refused(), unanswered: pending() }
    },
  }
}

/** Two loads as one: both run; what ingest answered is the union (their tap ids never overlap). */
export function combineLoads(a: TapLoad, b: TapLoad): TapLoad {
  return {
    start() {
      a.start()
      b.start()
    },
    stopRecording() {
      a.stopRecording()
      b.stopRecording()
    },
    async drain(timeoutMs) {
      await Promise.all([a.drain(timeoutMs), b.drain(timeoutMs)])
    },
    async close() {
      await Promise.all([a.close(), b.close()])
    },
    progress() {
      const [p, q] = [a.progress(), b.progress()]
      return {
        recorded: p.recorded + q.recorded,
        accepted: p.accepted + q.accepted,
        refused: p.refused + q.refused,
        pending: p.pending + q.pending,
        failedUploads: p.failedUploads + q.failedUploads,
      }
    },
    outcomes() {
      const [p, q] = [a.outcomes(), b.outcomes()]
      return { accepted: new Set([...p.accepted, ...q.accepted]), refused: new Map([...p.refused, ...q.refused]), unanswered: p.unanswered + q.unanswered }
    },
  }
}
