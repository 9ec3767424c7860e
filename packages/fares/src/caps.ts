/**
 * Fare caps (fare_caps.txt, docs/fares.md section 4): leg by leg in event order,
 * a leg's charge is the smallest of its increment and the headroom of every
 * cap that applies to it. Windows are half-open [start, end) in local time.
 */
import type { Decimal } from '@fare/money'
import { compile } from './compiled.ts'
import type { Cap, Tariff } from './model.ts'
import { civilOf, dayNumberOf, formatInstant, instantOfLocal, localWallMs, MS_PER_DAY, weekdayOf } from './time/zone.ts'

export interface CapWindow {
  /** Identity of the window within its cap. */
  readonly key: number
  readonly startMs: number
  readonly endMs: number
  /** Local ISO times of the bounds, for explanations. */
  readonly start: string
  readonly end: string
}

export interface CapLeg {
  readonly departureMs: number
  readonly networkId: string
  /** The category in force for the leg (the default category's id when the rider has none). */
  readonly riderCategoryId: string | undefined
  readonly fareMediaId: string | undefined
  readonly increment: Decimal
}

export function capApplies(cap: Cap, leg: Pick<CapLeg, 'networkId' | 'riderCategoryId' | 'fareMediaId'>): boolean {
  return (
    (cap.riderCategoryId === undefined || cap.riderCategoryId === leg.riderCategoryId) &&
    (cap.fareMediaId === undefined || cap.fareMediaId === leg.fareMediaId) &&
    (cap.networkId === undefined || cap.networkId === leg.networkId)
  )
}

/** The calendar window (day, week, month) of a cap that contains an instant. */
export function calendarWindow(tariff: Tariff, cap: Cap, epochMs: number): CapWindow {
  const zone = tariff.defaultTimezone
  const dayStartMs = cap.dayStartSecond * 1000
  const serviceDay = Math.floor((localWallMs(zone, epochMs) - dayStartMs) / MS_PER_DAY)
  let firstDay: number
  let endDay: number
  switch (cap.period.kind) {
    case 'day':
      firstDay = serviceDay
      endDay = serviceDay + 1
      break
    case 'week':
      firstDay = serviceDay - ((weekdayOf(serviceDay) - cap.period.weekStartDay + 7) % 7)
      endDay = firstDay + 7
      break
    case 'month': {
      const { year, month } = civilOf(serviceDay)
      firstDay = dayNumberOf(year, month, 1)
      endDay = month === 12 ? dayNumberOf(year + 1, 1, 1) : dayNumberOf(year, month + 1, 1)
      break
    }
    case 'rolling':
      throw new Error('rolling caps have no calendar window')
    default: {
      const never: never = cap.period
      throw new Error(`unknown period ${String(never)}`)
    }
  }
  const startMs = instantOfLocal(zone, firstDay * MS_PER_DAY + dayStartMs)
  const endMs = instantOfLocal(zone, endDay * MS_PER_DAY + dayStartMs)
  return { key: firstDay, startMs, endMs, start: formatInstant(zone, startMs), end: formatInstant(zone, endMs) }
}

/** Calendar windows per tariff, cap and service day: each costs several time-zone look-ups and two formatted times. */
const calendarCache = new WeakMap<Tariff, Map<Cap, Map<number, CapWindow>>>()

/** The window's bounds as explanations show them, shared by every charge in the window. */
const windowFacts = new WeakMap<CapWindow, { readonly start: string; readonly end: string }>()
export function windowFactsOf(window: CapWindow): { readonly start: string; readonly end: string } {
  let facts = windowFacts.get(window)
  if (!facts) {
    facts = { start: window.start, end: window.end }
    windowFacts.set(window, facts)
  }
  return facts
}

/** One cap considered for a leg, money in integer units (compiled.ts). */
export interface UnitCapCheck {
  readonly cap: Cap
  readonly capUnits: number
  readonly window: CapWindow
  readonly spentBefore: number
  readonly headroom: number
  readonly limiting: boolean
}

export interface UnitCapLeg {
  readonly departureMs: number
  readonly networkId: string
  readonly riderCategoryId: string | undefined
  readonly fareMediaId: string | undefined
  readonly increment: number
}

/** Tracks spending per cap window while legs are charged in event order (money in integer units). */
export class CapLedger {
  private readonly caps: readonly Cap[]
  private readonly capUnits: readonly number[]
  private readonly spent: Map<number, number>[]
  private readonly rolling: (CapWindow | undefined)[]
  private readonly calendar: Map<Cap, Map<number, CapWindow>>

  constructor(private readonly tariff: Tariff) {
    this.caps = tariff.caps
    const units = compile(tariff).capUnits
    this.capUnits = this.caps.map((cap) => units.get(cap) as number)
    this.spent = this.caps.map(() => new Map())
    this.rolling = this.caps.map(() => undefined)
    let calendar = calendarCache.get(tariff)
    if (!calendar) {
      calendar = new Map()
      calendarCache.set(tariff, calendar)
    }
    this.calendar = calendar
  }

  /** The window of cap number `index` containing `epochMs`; a rolling cap opens a new window when none covers it. */
  private windowOf(index: number, epochMs: number): CapWindow {
    const cap = this.caps[index] as Cap
    if (cap.period.kind !== 'rolling') {
      const serviceDay = Math.floor((localWallMs(this.tariff.defaultTimezone, epochMs) - cap.dayStartSecond * 1000) / MS_PER_DAY)
      let byDay = this.calendar.get(cap)
      if (!byDay) {
        byDay = new Map()
        this.calendar.set(cap, byDay)
      }
      let window = byDay.get(serviceDay)
      if (!window) {
        window = calendarWindow(this.tariff, cap, epochMs)
        if (byDay.size > 20_000) byDay.clear()
        byDay.set(serviceDay, window)
      }
      return window
    }
    const current = this.rolling[index]
    if (current && epochMs >= current.startMs && epochMs < current.endMs) return current
    const endMs = epochMs + cap.period.durationDays * MS_PER_DAY
    const zone = this.tariff.defaultTimezone
    const window = { key: epochMs, startMs: epochMs, endMs, start: formatInstant(zone, epochMs), end: formatInstant(zone, endMs) }
    this.rolling[index] = window
    return window
  }

  /** The charge of a leg: the smallest of its increment and the headroom of every cap that applies. */
  charge(leg: UnitCapLeg): { charge: number; capped: boolean; checks: UnitCapCheck[] } {
    const checks: UnitCapCheck[] = []
    const increment = leg.increment
    let charge = increment
    for (let index = 0; index < this.caps.length; index++) {
      const cap = this.caps[index] as Cap
      if (!capApplies(cap, leg)) continue
      const window = this.windowOf(index, leg.departureMs)
      const spentBefore = (this.spent[index] as Map<number, number>).get(window.key) ?? 0
      const capUnits = this.capUnits[index] as number
      const headroom = Math.max(capUnits - spentBefore, 0)
      if (increment > 0 && headroom < charge) charge = headroom
      checks.push({ cap, capUnits, window, spentBefore, headroom, limiting: false })
    }
    const capped = charge < increment
    for (let k = 0; k < checks.length; k++) {
      const check = checks[k] as UnitCapCheck
      if (capped && check.headroom === charge) checks[k] = { ...check, limiting: true }
      const index = this.caps.indexOf(check.cap)
      ;(this.spent[index] as Map<number, number>).set(check.window.key, check.spentBefore + charge)
    }
    return { charge, capped, checks }
  }
}
