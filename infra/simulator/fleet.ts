/**
 * The simulated validators at work: each records the taps presented to it
 * (refusing cards on its deny list), uploads its store in batches while it is
 * online, and polls the deny list. Some go offline for hours of the day and
 * upload everything when they come back; some uploads lose their answer, so
 * the validator sends the same taps (same tap ids) again.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { TapInput } from '@fare/contracts'
import { TapStore } from '../validator/store.ts'
import { DeviceRefusedError, RetryableError, Validator } from '../validator/validator.ts'
import type { City } from './city.ts'
import type { Behaviour, DayWindow, PlannedTap } from './day.ts'
import type { Random } from './random.ts'

export interface Outage {
  readonly fromMs: number
  readonly toMs: number
}

export interface SentTap {
  readonly tap: TapInput
  readonly card: number
  readonly validator: number
  readonly behaviour: Behaviour
}

/** What the fleet did, as the progress line and the summary read it. */
export interface FleetCounts {
  presented: number
  recorded: number
  deniedAtGate: number
  /** Answers `accepted`, a re-sent tap counted each time. */
  acceptedAnswers: number
  resentTaps: number
  uploadFailures: number
}

const OFFLINE_SHARE = 0.1
const RESEND_SHARE = 0.05
/** Real time between a validator's uploads: a batch a second or so, as a bus on a mobile link sends. */
const UPLOAD_INTERVAL_MS = 500

export class Fleet {
  readonly counts: FleetCounts = { presented: 0, recorded: 0, deniedAtGate: 0, acceptedAnswers: 0, resentTaps: 0, uploadFailures: 0 }
  /** Every tap recorded, by tap id. */
  readonly sent = new Map<string, SentTap>()
  readonly accepted = new Set<string>()
  /** Cards a validator refused at the gate (their index), with how often. */
  readonly deniedCards = new Map<number, number>()
  readonly outages: ReadonlyMap<number, Outage>
  private readonly validators: Validator[]
  private readonly storeDir: string
  private allPresented = false
  private stopped = false
  private loops: Promise<void>[] = []

  constructor(
    private readonly city: City,
    privateKeys: ReadonlyMap<string, string>,
    private readonly options: {
      ingestUrl: string
      apiUrl: string
      window: DayWindow
      simNow: () => number
      denySyncEveryMs: number
      random: Random
      log: (message: string) => void
    },
  ) {
    this.storeDir = mkdtempSync(path.join(os.tmpdir(), `fare-simulate-${city.tag}-`))
    this.validators = city.validators.map(
      (v, i) =>
        new Validator({
          deviceId: v.deviceId,
          privateKeyPem: privateKeys.get(v.deviceId) ?? '',
          ingestUrl: options.ingestUrl,
          apiUrl: options.apiUrl,
          store: new TapStore(path.join(this.storeDir, v.deviceId)),
          backoffCapMs: 5000,
          onAccepted: (ids) => this.onAccepted(ids, i),
        }),
    )
    this.outages = planOutages(city, options.window, options.random)
  }

  /** Starts every validator's upload loop. */
  start(): void {
    this.loops = this.validators.map((validator, i) => this.runValidator(validator, i))
  }

  /** The taps whose time has come, each at its validator. */
  present(taps: readonly PlannedTap[]): void {
    const byValidator = new Map<number, PlannedTap[]>()
    for (const t of taps) byValidator.set(t.validator, [...(byValidator.get(t.validator) ?? []), t])
    for (const [index, list] of byValidator) {
      const validator = this.validators[index] as Validator
      const city = this.city.validators[index]
      if (!city) continue
      const allowed = list.filter((t) => {
        const token = this.city.cards[t.card]?.cardToken ?? ''
        if (!validator.isDenied(token)) return true
        this.counts.deniedAtGate += 1
        this.deniedCards.set(t.card, (this.deniedCards.get(t.card) ?? 0) + 1)
        return false
      })
      this.counts.presented += list.length
      const made = validator.record(
        allowed.map((t) => ({
          cardToken: this.city.cards[t.card]?.cardToken ?? '',
          routeId: city.routeId,
          stopId: t.stopId,
          vehicleId: city.vehicleId,
          at: new Date(t.atMs),
        })),
      )
      made.forEach((tap, i) => {
        const planned = allowed[i] as PlannedTap
        this.sent.set(tap.tapId, { tap, card: planned.card, validator: index, behaviour: planned.behaviour })
      })
      this.counts.recorded += made.length
    }
  }

  /** No more taps will be presented: every validator uploads what it holds, outage or not. */
  finishPresenting(): void {
    this.allPresented = true
  }

  /** Resolves once every validator's store is empty. */
  async drained(): Promise<void> {
    await Promise.all(this.loops)
  }

  pending(): number {
    return this.validators.reduce((sum, v) => sum + v.store.pendingCount, 0)
  }

  offlineNow(): number {
    const now = this.options.simNow()
    return [...this.outages.values()].filter((o) => !this.allPresented && now >= o.fromMs && now < o.toMs).length
  }

  /** Stops the loops (after drained, or on an abort) and removes the stores. */
  async close(): Promise<void> {
    this.stopped = true
    await Promise.allSettled(this.loops)
    for (const v of this.validators) v.close()
    rmSync(this.storeDir, { recursive: true, force: true })
  }

  private onAccepted(ids: readonly string[], index: number): void {
    this.counts.acceptedAnswers += ids.length
    const firstTime = ids.every((id) => !this.accepted.has(id))
    for (const id of ids) this.accepted.add(id)
    // The answer "lost" on the way back: the validator cannot know ingest has these, so it sends them again.
    if (firstTime && ids.length > 0 && this.options.random.chance(RESEND_SHARE)) {
      const validator = this.validators[index]
      const taps = ids.map((id) => this.sent.get(id)?.tap).filter((t): t is TapInput => t !== undefined)
      validator?.store.add(taps)
      this.counts.resentTaps += taps.length
    }
  }

  private online(index: number): boolean {
    const outage = this.outages.get(index)
    const now = this.options.simNow()
    return this.allPresented || !outage || now < outage.fromMs || now >= outage.toMs
  }

  private async runValidator(validator: Validator, index: number): Promise<void> {
    let nextDenySyncMs = 0
    while (!this.stopped && !(this.allPresented && validator.store.pendingCount === 0)) {
      if (this.online(index)) {
        try {
          if (Date.now() >= nextDenySyncMs) {
            await validator.syncDenyList()
            nextDenySyncMs = Date.now() + this.options.denySyncEveryMs
          }
          if (validator.store.pendingCount > 0) {
            const result = await validator.drain({ stopWhen: () => this.stopped || !this.online(index) })
            this.counts.uploadFailures += result.failures
          }
        } catch (err) {
          if (err instanceof DeviceRefusedError) throw err
          if (!(err instanceof RetryableError)) throw err
          this.counts.uploadFailures += 1
          this.options.log(`${this.city.validators[index]?.deviceId}: ${err.message}`)
        }
      }
      await new Promise((r) => setTimeout(r, UPLOAD_INTERVAL_MS))
    }
  }
}

/** A tenth of the validators (at least one) lose their link for a stretch of the day's middle. */
function planOutages(city: City, window: DayWindow, random: Random): Map<number, Outage> {
  const outages = new Map<number, Outage>()
  const length = window.endMs - window.startMs
  const count = city.validators.length < 3 ? 0 : Math.max(1, Math.round(city.validators.length * OFFLINE_SHARE))
  const indexes = city.validators.map((_, i) => i)
  for (let n = 0; n < count; n++) {
    const index = indexes.splice(random.int(0, indexes.length - 1), 1)[0] as number
    const fromMs = window.startMs + length * random.between(0.15, 0.5)
    outages.set(index, { fromMs, toMs: fromMs + length * random.between(0.15, 0.3) })
  }
  return outages
}
