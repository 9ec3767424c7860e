/**
 * Money on decimal.js. Amounts are exact decimals in a currency's minor unit;
 * a JS number never carries money anywhere in this project.
 */
import { Decimal } from 'decimal.js'

export { Decimal }

/** Minor-unit digits per ISO 4217 currency; anything not listed uses 2. */
const MINOR_UNIT_DIGITS: Readonly<Record<string, number>> = {
  JPY: 0,
  KRW: 0,
  VND: 0,
  CLP: 0,
  ISK: 0,
  HUF: 2,
  BHD: 3,
  KWD: 3,
  JOD: 3,
  OMR: 3,
  TND: 3,
}

/** Zero, shared (a Decimal never changes). */
export const ZERO = new Decimal(0)

/** `units` x 10^-scale, exactly: an amount counted in integer units of 10^-scale (the fare engine's scheme). */
export function amountFromUnits(units: number, scale: number): Decimal {
  if (!Number.isSafeInteger(units) || !Number.isInteger(scale) || scale < 0) throw new RangeError(`not an exact amount: ${units} units of 10^-${scale}`)
  return new Decimal(`${units}e-${scale}`)
}

export function minorUnitDigits(currency: string): number {
  return MINOR_UNIT_DIGITS[currency] ?? 2
}

const DECIMAL_PATTERN = /^-?\d+(\.\d+)?$/

/** Parses a decimal string such as "18.00" or "2.5"; throws on anything else (no exponents, no blanks). */
export function parseAmount(text: string): Decimal {
  const trimmed = text.trim()
  if (!DECIMAL_PATTERN.test(trimmed)) throw new RangeError(`not a decimal amount: ${JSON.stringify(text)}`)
  return new Decimal(trimmed)
}

/** Formats with exactly the currency's minor-unit digits ("3" -> "3.00" for UAH), rounding half-even. */
export function formatAmount(amount: Decimal, currency: string): string {
  return amount.toDecimalPlaces(minorUnitDigits(currency), Decimal.ROUND_HALF_EVEN).toFixed(minorUnitDigits(currency))
}

/** Rounds to the currency's minor unit, half-even. */
export function roundToMinor(amount: Decimal, currency: string): Decimal {
  return amount.toDecimalPlaces(minorUnitDigits(currency), Decimal.ROUND_HALF_EVEN)
}

export interface Money {
  readonly amount: string
  readonly currency: string
}

export function toMoney(amount: Decimal, currency: string): Money {
  return { amount: formatAmount(amount, currency), currency }
}

export function sum(amounts: Iterable<Decimal>): Decimal {
  let total = new Decimal(0)
  for (const a of amounts) total = total.plus(a)
  return total
}

export interface Share<K extends string> {
  readonly key: K
  readonly weight: Decimal
}

/**
 * Splits `amount` pro rata to the weights, each share rounded half-even to the
 * minor unit; the rounding remainder goes to the largest share (ties: the
 * lowest key in plain string order). Shares always sum to `amount` exactly
 * (docs/fares.md section 5). With all weights zero the amount is split equally.
 */
export function splitProRata<K extends string>(amount: Decimal, currency: string, shares: readonly Share<K>[]): Map<K, Decimal> {
  if (shares.length === 0) throw new RangeError('splitProRata needs at least one share')
  const totalWeight = sum(shares.map((s) => s.weight))
  const weights = totalWeight.isZero() ? shares.map((s) => ({ key: s.key, weight: new Decimal(1) })) : shares
  const weightSum = totalWeight.isZero() ? new Decimal(shares.length) : totalWeight
  const result = new Map<K, Decimal>()
  for (const s of weights) {
    const part = roundToMinor(amount.times(s.weight).dividedBy(weightSum), currency)
    result.set(s.key, (result.get(s.key) ?? new Decimal(0)).plus(part))
  }
  const remainder = amount.minus(sum(result.values()))
  if (!remainder.isZero()) {
    const largest = [...result.entries()].sort(([ka, a], [kb, b]) => b.comparedTo(a) || (ka < kb ? -1 : ka > kb ? 1 : 0))[0]
    if (largest) result.set(largest[0], largest[1].plus(remainder))
  }
  return result
}
