import { Decimal } from '@fare/money'
import type { TapEvent } from '@fare/contracts'

export interface TapCharge {
  tapId: string
  amount: Decimal
  operatorId: string
}

/** Prices newly recorded taps. The flat fare stands in until the fare engine is wired in. */
export interface Pricer {
  readonly currency: string
  price(newTaps: readonly TapEvent[]): TapCharge[]
}

export function flatFarePricer(amount: string, currency: string): Pricer {
  const fare = new Decimal(amount)
  return {
    currency,
    price: (taps) => taps.filter((t) => t.kind === 'entry').map((t) => ({ tapId: t.tapId, amount: fare, operatorId: t.operatorId })),
  }
}
