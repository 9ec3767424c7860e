/**
 * The validator's local store: every tap is written (and fsynced) before the
 * rider is let through, and stays until ingest answers for it. Two append-only
 * JSON-lines files in one directory, so a crash or power cut mid-write loses
 * at most the half-written last line, never an earlier tap:
 *   taps.jsonl   every tap recorded
 *   done.jsonl   tap ids ingest has answered for (accepted, or rejected for good)
 * Pending = taps minus done. When nothing is pending the files are rotated.
 * state.json keeps the device sequence counter and the deny list.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs'
import path from 'node:path'
import type { TapInput } from '@fare/contracts'

export interface StoreState {
  deviceSeq: number
  denyListVersion: string | null
  denied: string[]
}

export interface RejectedTap {
  tap: TapInput
  code: string
  message: string
}

function readLines(file: string): unknown[] {
  if (!existsSync(file)) return []
  const out: unknown[] = []
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue
    try {
      out.push(JSON.parse(line))
    } catch {
      // A torn last line from a crash mid-append: that write never completed, so it was never acknowledged either.
    }
  }
  return out
}

function appendDurably(file: string, lines: readonly unknown[]): void {
  if (lines.length === 0) return
  const fd = openSync(file, 'a')
  try {
    writeSync(fd, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

function writeDurably(file: string, text: string): void {
  const tmp = `${file}.tmp`
  writeFileSync(tmp, text)
  const fd = openSync(tmp, 'r+')
  fsyncSync(fd)
  closeSync(fd)
  renameSync(tmp, file)
}

export class TapStore {
  private readonly pendingTaps = new Map<string, TapInput>()
  private stateValue: StoreState
  private readonly tapsFile: string
  private readonly doneFile: string
  private readonly stateFile: string
  private readonly rejectedFile: string

  constructor(readonly directory: string) {
    mkdirSync(directory, { recursive: true })
    this.tapsFile = path.join(directory, 'taps.jsonl')
    this.doneFile = path.join(directory, 'done.jsonl')
    this.stateFile = path.join(directory, 'state.json')
    this.rejectedFile = path.join(directory, 'rejected.jsonl')
    const done = new Set(readLines(this.doneFile).map((d) => String(d)))
    for (const tap of readLines(this.tapsFile) as TapInput[]) if (!done.has(tap.tapId)) this.pendingTaps.set(tap.tapId, tap)
    this.stateValue = existsSync(this.stateFile)
      ? (JSON.parse(readFileSync(this.stateFile, 'utf8')) as StoreState)
      : { deviceSeq: 0, denyListVersion: null, denied: [] }
  }

  get state(): Readonly<StoreState> {
    return this.stateValue
  }

  saveState(patch: Partial<StoreState>): void {
    this.stateValue = { ...this.stateValue, ...patch }
    writeDurably(this.stateFile, JSON.stringify(this.stateValue))
  }

  /** The next device sequence number (for gap detection upstream); persisted before use. */
  nextDeviceSeqs(count: number): number {
    const first = this.stateValue.deviceSeq + 1
    this.saveState({ deviceSeq: this.stateValue.deviceSeq + count })
    return first
  }

  /** Records taps durably; only then may the validator tell the rider "ok". */
  add(taps: readonly TapInput[]): void {
    appendDurably(this.tapsFile, taps)
    for (const tap of taps) this.pendingTaps.set(tap.tapId, tap)
  }

  /** The oldest pending taps, at most `limit`. */
  pending(limit = Number.POSITIVE_INFINITY): TapInput[] {
    const out: TapInput[] = []
    for (const tap of this.pendingTaps.values()) {
      if (out.length >= limit) break
      out.push(tap)
    }
    return out
  }

  get pendingCount(): number {
    return this.pendingTaps.size
  }

  /** Ingest has answered for these taps: they may go. Rejected ones are kept aside for the operator. */
  settle(tapIds: readonly string[], rejected: readonly RejectedTap[] = []): void {
    appendDurably(this.rejectedFile, rejected)
    appendDurably(this.doneFile, tapIds)
    for (const id of tapIds) this.pendingTaps.delete(id)
    if (this.pendingTaps.size === 0) this.rotate()
  }

  /** Nothing pending: start both files afresh so they do not grow for ever. */
  private rotate(): void {
    writeDurably(this.tapsFile, '')
    writeDurably(this.doneFile, '')
  }
}
