/**
 * Fare caps (fare_caps.txt, FARES.md section 5): leg by leg in event order,
 * a leg's charge is the smallest of its increment and the headroom of every
 * cap that applies to it. Windows are half-open [start, end) in local time.
 */
import { Decimal } from '@fare/money'
import type { Cap, Tariff } from '../model.ts'
import { civilOf, dayNumberOf, formatInstant, instantOfLocal, localWallMs, MS_PER_DAY, weekdayOf } from './zone.ts'

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

export interface CapCheck {
  readonly cap: Cap
  readonly window: CapWindow
  readonly spentBefore: Decimal
  readonly headroom: Decimal
  /** Whether this cap set the charge (it had the lowest headroom, below the increment). */
  readonly limiting: boolean
}

export interface CappedCharge {
  readonly charge: Decimal
  readonly capped: boolean
  readonly checks: readonly CapCheck[]
}

const ZERO = new Decimal(0)

export function capApplies(cap: Cap, leg: Pick<CapLeg, 'networkId' | 'riderCategoryId' | 'fareMediaId'>): boolean {
  return (cap.riderCategoryId === undefined || cap.riderCategoryId === leg.riderCategoryId) &&
    (cap.fareMediaId === undefined || cap.fareMediaId === leg.fareMediaId) &&
    (cap.networkId === undefined || cap.networkId === leg.networkId)
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

/** Tracks spending per cap window while legs are charged in event order. */
export class CapLedger {
  private readonly spent = new Map<Cap, Map<number, Decimal>>()
  private readonly rolling = new Map<Cap, CapWindow>()
  /** Calendar windows by cap and service day: computing one costs several time-zone look-ups. */
  private readonly calendar = new Map<Cap, Map<number, CapWindow>>()

  constructor(private readonly tariff: Tariff) {}

  /** The window of `cap` containing `epochMs`; a rolling cap opens a new window when none covers it (and `open`). */
  windowOf(cap: Cap, epochMs: number, open: boolean): CapWindow | undefined {
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
        byDay.set(serviceDay, window)
      }
      return window
    }
    const current = this.rolling.get(cap)
    if (current && epochMs >= current.startMs && epochMs < current.endMs) return current
    if (!open) return undefined
    const endMs = epochMs + cap.period.durationDays * MS_PER_DAY
    const zone = this.tariff.defaultTimezone
    const window = { key: epochMs, startMs: epochMs, endMs, start: formatInstant(zone, epochMs), end: formatInstant(zone, endMs) }
    this.rolling.set(cap, window)
    return window
  }

  spentIn(cap: Cap, window: CapWindow): Decimal {
    return this.spent.get(cap)?.get(window.key) ?? ZERO
  }

  charge(leg: CapLeg): CappedCharge {
    const applicable: { cap: Cap; window: CapWindow; spentBefore: Decimal; headroom: Decimal }[] = []
    for (const cap of this.tariff.caps) {
      if (!capApplies(cap, leg)) continue
      const window = this.windowOf(cap, leg.departureMs, true) as CapWindow
      const spentBefore = this.spentIn(cap, window)
      const headroom = Decimal.max(ZERO, cap.amount.minus(spentBefore))
      applicable.push({ cap, window, spentBefore, headroom })
    }
    let charge = leg.increment
    if (leg.increment.isPositive() && !leg.increment.isZero()) {
      for (const a of applicable) if (a.headroom.lessThan(charge)) charge = a.headroom
    }
    const capped = charge.lessThan(leg.increment)
    const checks: CapCheck[] = applicable.map((a) => ({ ...a, limiting: capped && a.headroom.equals(charge) }))
    for (const a of applicable) {
      let byWindow = this.spent.get(a.cap)
      if (!byWindow) {
        byWindow = new Map()
        this.spent.set(a.cap, byWindow)
      }
      byWindow.set(a.window.key, a.spentBefore.plus(charge))
    }
    return { charge, capped, checks }
  }
}
