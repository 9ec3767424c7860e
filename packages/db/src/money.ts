import { Decimal } from '@fare/money'

/** The one place a numeric column becomes a Decimal. */
export function moneyFromDb(value: string | number | bigint): Decimal {
  if (typeof value === 'number') throw new TypeError('numeric column arrived as a JS number; refusing to lose precision')
  return new Decimal(value.toString())
}
