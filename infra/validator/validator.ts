/**
 * The validator simulator: what a real validator does, in code the tests,
 * the demo and the load test share.
 *  - A tap is stored durably (TapStore) before anything else; it leaves the
 *    store only when ingest has answered for it (accepted, or rejected for good).
 *  - Uploads go in batches (50 by default) of the oldest pending taps.
 *  - Failures (network, 429, 503, 5xx) are retried with exponential backoff and
 *    full jitter, never sooner than the server's Retry-After.
 *  - The access token comes from POST /v1/auth/device-token with an assertion
 *    signed by the device key, and is refreshed before it expires or on a 401.
 *  - The deny list is polled with `since` and If-None-Match; a denied card is
 *    refused at the gate and no tap is recorded.
 */
import { signDeviceAssertion } from '@fare/auth'
import { type DenyListResponse, type DeviceTokenResponse, newTapId, type TapBatchResponse, type TapInput, type TapKind } from '@fare/contracts'
import { HttpClient, type TlsClientOptions } from './http.ts'
import type { RejectedTap, TapStore } from './store.ts'

export interface ValidatorOptions {
  deviceId: string
  privateKeyPem: string
  ingestUrl: string
  apiUrl: string
  store: TapStore
  batchSize?: number
  tls?: TlsClientOptions
  /** Backoff: the n-th consecutive failure waits a random time in [0, min(cap, base * 2^n)). */
  backoffBaseMs?: number
  backoffCapMs?: number
  /** Longest Retry-After honoured (a misconfigured server must not park a bus for an hour). */
  maxRetryAfterMs?: number
  random?: () => number
  sleep?: (ms: number) => Promise<void>
  log?: (message: string) => void
  /** Called with the tap ids ingest answered `accepted`, after they left the store. */
  onAccepted?: (tapIds: readonly string[]) => void
}

export class RetryableError extends Error {
  override name = 'RetryableError'
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message)
  }
}

/** Permanent refusal of the device (revoked, unknown): retrying will not help. */
export class DeviceRefusedError extends Error {
  override name = 'DeviceRefusedError'
}

export interface DrainResult {
  accepted: number
  rejected: number
  failures: number
}

const DEFAULT_ROUTE = '10'

export class Validator {
  readonly store: TapStore
  private readonly http: HttpClient
  private token: { value: string; renewAtMs: number } | undefined
  private denied: Set<string>
  private readonly random: () => number
  private readonly sleep: (ms: number) => Promise<void>
  private batchSize: number

  constructor(private readonly options: ValidatorOptions) {
    this.store = options.store
    this.http = new HttpClient(options.tls ?? {})
    this.denied = new Set(options.store.state.denied)
    this.random = options.random ?? Math.random
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)))
    this.batchSize = options.batchSize ?? 50
  }

  /** A card presented at the gate: refused if denied, else recorded durably. */
  tap(cardToken: string, fields: { kind?: TapKind; routeId?: string; stopId?: string; vehicleId?: string; at?: Date } = {}): TapInput | 'denied' {
    if (this.denied.has(cardToken)) return 'denied'
    const [tap] = this.record([{ cardToken, ...fields }])
    return tap as TapInput
  }

  /** Many taps at once (the load generator); deny list applied. */
  record(taps: readonly { cardToken: string; kind?: TapKind; routeId?: string; stopId?: string; vehicleId?: string; at?: Date }[]): TapInput[] {
    const allowed = taps.filter((t) => !this.denied.has(t.cardToken))
    if (allowed.length === 0) return []
    const firstSeq = this.store.nextDeviceSeqs(allowed.length)
    const made = allowed.map(
      (t, i): TapInput => ({
        tapId: newTapId(),
        cardToken: t.cardToken,
        kind: t.kind ?? 'entry',
        tappedAt: (t.at ?? new Date()).toISOString(),
        routeId: t.routeId ?? DEFAULT_ROUTE,
        ...(t.stopId ? { stopId: t.stopId } : {}),
        ...(t.vehicleId ? { vehicleId: t.vehicleId } : {}),
        deviceSeq: firstSeq + i,
      }),
    )
    this.store.add(made)
    return made
  }

  isDenied(cardToken: string): boolean {
    return this.denied.has(cardToken)
  }

  private log(message: string): void {
    this.options.log?.(`[${this.options.deviceId}] ${message}`)
  }

  /** The access token, fetched or refreshed a minute before it expires. */
  async accessToken(): Promise<string> {
    if (this.token && Date.now() < this.token.renewAtMs) return this.token.value
    const assertion = signDeviceAssertion({ privateKeyPem: this.options.privateKeyPem, deviceId: this.options.deviceId })
    let res: Awaited<ReturnType<typeof this.http.request>>
    try {
      res = await this.http.request(`${this.options.apiUrl}/v1/auth/device-token`, {
        method: 'POST',
        body: JSON.stringify({ deviceId: this.options.deviceId, assertion }),
      })
    } catch (err) {
      throw new RetryableError(`token endpoint unreachable: ${(err as Error).message}`)
    }
    if (res.status === 200) {
      const body = JSON.parse(res.body) as DeviceTokenResponse
      this.token = { value: body.accessToken, renewAtMs: Date.now() + Math.max(1, body.expiresIn - 60) * 1000 }
      return body.accessToken
    }
    if (res.status === 401) throw new DeviceRefusedError(`device token refused: ${res.body}`)
    throw new RetryableError(`token endpoint answered ${res.status}`, retryAfterMs(res.headers['retry-after']))
  }

  /** One upload of the oldest pending taps. Throws RetryableError when it should be tried again later. */
  async uploadOnce(): Promise<{ accepted: number; rejected: number }> {
    const batch = this.store.pending(this.batchSize)
    if (batch.length === 0) return { accepted: 0, rejected: 0 }
    const token = await this.accessToken()
    let res: Awaited<ReturnType<typeof this.http.request>>
    try {
      res = await this.http.request(`${this.options.ingestUrl}/v1/taps`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify({ taps: batch }),
      })
    } catch (err) {
      throw new RetryableError(`ingest unreachable: ${(err as Error).message}`)
    }
    switch (res.status) {
      case 200: {
        const { results } = JSON.parse(res.body) as TapBatchResponse
        const settled: string[] = []
        const rejected: RejectedTap[] = []
        const accepted: string[] = []
        results.forEach((result, i) => {
          const tap = batch[i]
          if (!tap) return
          settled.push(tap.tapId)
          if (result.status === 'accepted') accepted.push(tap.tapId)
          else rejected.push({ tap, code: result.error?.code ?? 'UNKNOWN', message: result.error?.message ?? '' })
        })
        this.store.settle(settled, rejected)
        for (const r of rejected) this.log(`tap ${r.tap.tapId} rejected: ${r.code} ${r.message}`)
        this.options.onAccepted?.(accepted)
        return { accepted: accepted.length, rejected: rejected.length }
      }
      case 401:
        this.token = undefined
        throw new RetryableError('access token refused; fetching a new one', 0)
      case 413:
      case 400: {
        // The batch as a whole was refused: split it until the culprit is alone, then set it aside.
        if (batch.length > 1) {
          this.batchSize = Math.max(1, Math.floor(batch.length / 2))
          throw new RetryableError(`batch refused (${res.status}); retrying in halves`, 0)
        }
        const first = batch[0] as (typeof batch)[number]
        this.store.settle([first.tapId], [{ tap: first, code: `HTTP_${res.status}`, message: res.body.slice(0, 200) }])
        return { accepted: 0, rejected: 1 }
      }
      default:
        throw new RetryableError(`ingest answered ${res.status}`, retryAfterMs(res.headers['retry-after']))
    }
  }

  /** Uploads until nothing is pending (or `deadlineMs` passes); retries with backoff and full jitter. */
  async drain(options: { deadlineMs?: number; stopWhen?: () => boolean } = {}): Promise<DrainResult> {
    const result: DrainResult = { accepted: 0, rejected: 0, failures: 0 }
    let attempt = 0
    const deadline = options.deadlineMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.deadlineMs
    while (this.store.pendingCount > 0 && Date.now() < deadline && !options.stopWhen?.()) {
      try {
        const { accepted, rejected } = await this.uploadOnce()
        result.accepted += accepted
        result.rejected += rejected
        attempt = 0
        if (accepted + rejected > 0 && this.batchSize < (this.options.batchSize ?? 50))
          this.batchSize = Math.min(this.options.batchSize ?? 50, this.batchSize * 2)
      } catch (err) {
        if (!(err instanceof RetryableError)) throw err
        result.failures += 1
        const wait = this.backoffMs(attempt++, err.retryAfterMs)
        this.log(`${err.message}; retry in ${wait} ms`)
        await this.sleep(wait)
      }
    }
    return result
  }

  /** Full jitter (AWS architecture blog): random in [0, min(cap, base * 2^attempt)), at least Retry-After. */
  backoffMs(attempt: number, retryAfter?: number): number {
    const base = this.options.backoffBaseMs ?? 200
    const cap = this.options.backoffCapMs ?? 30_000
    const jittered = Math.floor(this.random() * Math.min(cap, base * 2 ** Math.min(attempt, 30)))
    const floor = retryAfter === undefined ? 0 : Math.min(retryAfter, this.options.maxRetryAfterMs ?? 60_000)
    return Math.max(floor, jittered)
  }

  /** Polls the deny list (delta since the version held; 304 when unchanged). Returns true if it changed. */
  async syncDenyList(): Promise<boolean> {
    const token = await this.accessToken()
    const version = this.store.state.denyListVersion
    const url = `${this.options.ingestUrl}/v1/deny-list${version === null ? '' : `?since=${version}`}`
    let res: Awaited<ReturnType<typeof this.http.request>>
    try {
      res = await this.http.request(url, {
        headers: { authorization: `Bearer ${token}`, ...(version === null ? {} : { 'if-none-match': `"v${version}"` }) },
      })
    } catch (err) {
      // Like an upload's: ingest unreachable is worth retrying, not a reason to stop the validator.
      throw new RetryableError(`deny list unreachable: ${(err as Error).message}`)
    }
    if (res.status === 304) return false
    if (res.status === 401) this.token = undefined
    if (res.status !== 200) throw new RetryableError(`deny list answered ${res.status}`, retryAfterMs(res.headers['retry-after']))
    const body = JSON.parse(res.body) as DenyListResponse
    const next = body.full ? new Set<string>() : new Set(this.denied)
    for (const card of body.added) next.add(card)
    for (const card of body.removed) next.delete(card)
    this.denied = next
    this.store.saveState({ denyListVersion: body.version, denied: [...next] })
    return true
  }

  close(): void {
    this.http.close()
  }
}

function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(header) ? header[0] : header
  if (!raw) return undefined
  const seconds = Number(raw)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(raw)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}
