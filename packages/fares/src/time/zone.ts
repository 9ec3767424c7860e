/**
 * Local time of fare events. Intl is slow (microseconds per call), so the
 * UTC offset of each zone is cached per 15-minute bucket: every real-world
 * clock change happens on a quarter hour, so one bucket has one offset.
 * Days are counted as day numbers (days since 1970-01-01 in local time).
 */

const MS_PER_MINUTE = 60_000
const MS_PER_DAY = 86_400_000
const BUCKET_MS = 15 * MS_PER_MINUTE

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone)
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    })
    formatters.set(zone, formatter)
  }
  return formatter
}

export function isValidTimeZone(zone: string): boolean {
  if (zone === '') return false
  try {
    formatterFor(zone)
    return true
  } catch {
    return false
  }
}

function computeOffsetMinutes(zone: string, epochMs: number): number {
  const parts = formatterFor(zone).formatToParts(new Date(epochMs))
  let year = 0,
    month = 1,
    day = 1,
    hour = 0,
    minute = 0,
    second = 0,
    bc = false
  for (const part of parts) {
    switch (part.type) {
      case 'year':
        year = Number(part.value)
        break
      case 'month':
        month = Number(part.value)
        break
      case 'day':
        day = Number(part.value)
        break
      case 'hour':
        hour = Number(part.value)
        break
      case 'minute':
        minute = Number(part.value)
        break
      case 'second':
        second = Number(part.value)
        break
      case 'era':
        bc = part.value.startsWith('B')
        break
      default:
        break
    }
  }
  if (bc) year = 1 - year
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second)
  const truncated = epochMs - (((epochMs % 1000) + 1000) % 1000)
  return Math.round((asUtc - truncated) / MS_PER_MINUTE)
}

interface ZoneOffsets {
  readonly buckets: Map<number, number>
  /** The last bucket asked for and its offset: taps of one card come in time order. */
  lastBucket: number
  lastOffset: number
}

const zoneOffsets = new Map<string, ZoneOffsets>()
let lastZone = ''
let lastZoneOffsets: ZoneOffsets | undefined

/** The zone's UTC offset in minutes at an instant (Kyiv: 120 in winter, 180 in summer). */
export function offsetMinutes(zone: string, epochMs: number): number {
  let cache = zone === lastZone ? lastZoneOffsets : zoneOffsets.get(zone)
  if (!cache) {
    cache = { buckets: new Map(), lastBucket: Number.NaN, lastOffset: 0 }
    zoneOffsets.set(zone, cache)
  }
  lastZone = zone
  lastZoneOffsets = cache
  const bucket = Math.floor(epochMs / BUCKET_MS)
  if (bucket === cache.lastBucket) return cache.lastOffset
  let offset = cache.buckets.get(bucket)
  if (offset === undefined) {
    offset = computeOffsetMinutes(zone, bucket * BUCKET_MS)
    cache.buckets.set(bucket, offset)
  }
  cache.lastBucket = bucket
  cache.lastOffset = offset
  return offset
}

/** Wall-clock milliseconds: the local time read as if it were UTC. */
export function localWallMs(zone: string, epochMs: number): number {
  return epochMs + offsetMinutes(zone, epochMs) * MS_PER_MINUTE
}

export interface LocalTime {
  /** Local calendar day, counted from 1970-01-01. */
  readonly dayNumber: number
  /** Seconds since local midnight by the wall clock. */
  readonly secondOfDay: number
  /** 0 = Monday ... 6 = Sunday. */
  readonly weekday: number
}

export function localTime(zone: string, epochMs: number): LocalTime {
  const wall = localWallMs(zone, epochMs)
  const dayNumber = Math.floor(wall / MS_PER_DAY)
  return { dayNumber, secondOfDay: Math.floor((wall - dayNumber * MS_PER_DAY) / 1000), weekday: weekdayOf(dayNumber) }
}

export function weekdayOf(dayNumber: number): number {
  // 1970-01-01 was a Thursday (3 when Monday is 0).
  return (((dayNumber + 3) % 7) + 7) % 7
}

/** Howard Hinnant's days_from_civil. */
export function dayNumberOf(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const mp = (month + 9) % 12
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

export function civilOf(dayNumber: number): { year: number; month: number; day: number } {
  const z = dayNumber + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day }
}

/**
 * The instant at which the local wall clock shows `wallMs`. In a spring-forward
 * gap the wall time does not exist and the instant just after the gap is
 * returned; in a fall-back overlap the earlier instant is returned.
 */
export function instantOfLocal(zone: string, wallMs: number): number {
  const before = wallMs - offsetMinutes(zone, wallMs - 14 * 3_600_000) * MS_PER_MINUTE
  if (localWallMs(zone, before) === wallMs) return before
  const after = wallMs - offsetMinutes(zone, wallMs + 14 * 3_600_000) * MS_PER_MINUTE
  if (localWallMs(zone, after) === wallMs) return after
  // A gap: the wall time is skipped; take the first instant after it.
  return Math.max(before, after)
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')
const TWO_DIGITS: readonly string[] = Array.from({ length: 60 }, (_, i) => pad(i))

/** "YYYY-MM-DDT" per local day number, and "+HH:MM" per offset: formatting is on the hot path of every charge. */
const datePrefixes = new Map<number, string>()
const offsetSuffixes = new Map<number, string>()

function datePrefix(dayNumber: number): string {
  let text = datePrefixes.get(dayNumber)
  if (text === undefined) {
    const { year, month, day } = civilOf(dayNumber)
    text = `${pad(year, 4)}-${pad(month)}-${pad(day)}T`
    if (datePrefixes.size > 100_000) datePrefixes.clear()
    datePrefixes.set(dayNumber, text)
  }
  return text
}

function offsetSuffix(offset: number): string {
  let text = offsetSuffixes.get(offset)
  if (text === undefined) {
    const abs = Math.abs(offset)
    text = `${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
    offsetSuffixes.set(offset, text)
  }
  return text
}

/** ISO 8601 local time with the zone's offset, e.g. 2026-03-29T04:00:00+03:00. */
export function formatInstant(zone: string, epochMs: number): string {
  const offset = offsetMinutes(zone, epochMs)
  const wall = epochMs + offset * MS_PER_MINUTE
  const dayNumber = Math.floor(wall / MS_PER_DAY)
  const seconds = Math.floor((wall - dayNumber * MS_PER_DAY) / 1000)
  const hours = Math.floor(seconds / 3600)
  return (
    datePrefix(dayNumber) +
    (hours < 60 ? TWO_DIGITS[hours] : pad(hours)) +
    ':' +
    TWO_DIGITS[Math.floor(seconds / 60) % 60] +
    ':' +
    TWO_DIGITS[seconds % 60] +
    offsetSuffix(offset)
  )
}

/**
 * RFC 3339 (T and Z in either case, any number of fraction digits, second 60
 * for a leap second) and the ISO 8601 forms close to it (a space for T,
 * seconds left out, offsets +HH or +HHMM).
 */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)$/

/** Two ASCII digits at i as a number, or -1. */
function digits2(text: string, i: number): number {
  const a = text.charCodeAt(i) - 48,
    b = text.charCodeAt(i + 1) - 48
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1
}

/**
 * The common shapes "YYYY-MM-DDTHH:MM:SS[.sss]Z" and "...+HH:MM" without a
 * regular expression; anything else (or anything odd) goes to the general
 * parser. Returns NaN when it does not apply.
 */
function parseCommonInstant(text: string): number {
  const length = text.length
  if (
    length < 20 ||
    text.charCodeAt(4) !== 45 ||
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 ||
    text.charCodeAt(13) !== 58 ||
    text.charCodeAt(16) !== 58
  )
    return Number.NaN
  const y1 = digits2(text, 0),
    y2 = digits2(text, 2),
    month = digits2(text, 5),
    day = digits2(text, 8)
  const hour = digits2(text, 11),
    minute = digits2(text, 14),
    second = digits2(text, 17)
  if (y1 < 0 || y2 < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59)
    return Number.NaN
  let i = 19
  let millis = 0
  if (text.charCodeAt(i) === 46) {
    // fraction: exactly 3 digits here, others go the general way
    const a = text.charCodeAt(20) - 48,
      b = text.charCodeAt(21) - 48,
      c = text.charCodeAt(22) - 48
    if (!(a >= 0 && a <= 9 && b >= 0 && b <= 9 && c >= 0 && c <= 9)) return Number.NaN
    const next = text.charCodeAt(23)
    if (next >= 48 && next <= 57) return Number.NaN
    millis = a * 100 + b * 10 + c
    i = 23
  }
  let offsetMin: number
  const z = text.charCodeAt(i)
  if (z === 90 && length === i + 1) offsetMin = 0
  else if ((z === 43 || z === 45) && length === i + 6 && text.charCodeAt(i + 3) === 58) {
    const oh = digits2(text, i + 1),
      om = digits2(text, i + 4)
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return Number.NaN
    offsetMin = (z === 45 ? -1 : 1) * (oh * 60 + om)
  } else return Number.NaN
  const year = y1 * 100 + y2
  const dayNumber = dayNumberOf(year, month, day)
  if (day > 28 && civilOf(dayNumber).day !== day) return Number.NaN
  return dayNumber * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + millis - offsetMin * MS_PER_MINUTE
}

/**
 * Parses an ISO 8601 time that carries its UTC offset to epoch milliseconds;
 * undefined when it has none or is not a real time. Digits finer than a
 * millisecond are cut off, never rounded (docs/fares.md, "From taps to
 * charges"). A leap second (:60) is the next minute's :00, as Postgres reads it.
 */
export function parseInstant(text: string): number | undefined {
  const common = parseCommonInstant(text)
  if (!Number.isNaN(common)) return common
  const m = ISO_INSTANT.exec(text)
  if (!m) return undefined
  const [, ys, mos, ds, hs, mis, ss, frac, zone] = m
  const year = Number(ys),
    month = Number(mos),
    day = Number(ds),
    hour = Number(hs),
    minute = Number(mis)
  const second = ss === undefined ? 0 : Number(ss)
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined
  const dayNumber = dayNumberOf(year, month, day)
  if (civilOf(dayNumber).day !== day) return undefined
  // The first three fraction digits, by text: a float of all the digits could round up.
  const millis = frac === undefined ? 0 : Number(`${frac}00`.slice(0, 3))
  let offsetMin = 0
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1
    const digits = zone.slice(1).replace(':', '')
    const oh = Number(digits.slice(0, 2)),
      om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0
    if (oh > 23 || om > 59) return undefined
    offsetMin = sign * (oh * 60 + om)
  }
  return dayNumber * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + millis - offsetMin * MS_PER_MINUTE
}

/** GTFS time of day, "H:MM:SS" or "HH:MM:SS", hours may exceed 23; seconds since midnight. */
export function parseGtfsTime(text: string): number | undefined {
  const m = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(text)
  if (!m) return undefined
  const h = Number(m[1]),
    mi = Number(m[2]),
    s = Number(m[3])
  if (mi > 59 || s > 59) return undefined
  return (h * 60 + mi) * 60 + s
}

/** GTFS date YYYYMMDD or ISO YYYY-MM-DD to a day number. */
export function parseDate(text: string): number | undefined {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(text)
  if (!m) return undefined
  const year = Number(m[1]),
    month = Number(m[2]),
    day = Number(m[3])
  if (month < 1 || month > 12 || day < 1) return undefined
  const dayNumber = dayNumberOf(year, month, day)
  return civilOf(dayNumber).day === day ? dayNumber : undefined
}

export { MS_PER_DAY, MS_PER_MINUTE }
