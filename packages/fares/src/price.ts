/**
 * Pricing one journey (the `price` command): the lowest total of a list of
 * legs, with the derivation of every effective leg.
 */
import type { Decimal } from '@fare/money'
import { checkCallSize, compile } from './compiled.ts'
import { requestInvalid } from './errors.ts'
import { bestFare, type FareTransferApplied } from './fare-transfers.ts'
import type { PricingLeg } from './leg-rules.ts'
import type { Tariff } from './model.ts'
import { checkProfile, checkRoute, checkStop, type PriceRequest, parseTime } from './request.ts'

export interface PricedLeg {
  /** Index of the first and last request leg of this effective leg. */
  readonly legIndexes: readonly number[]
  readonly journeyIndex: number
  readonly legGroupId: string | undefined
  readonly legRuleLine: number
  readonly rulePriority: number
  readonly fareProductId: string
  readonly legFare: Decimal
  readonly kind: 'new' | 'transfer'
  readonly transfer: FareTransferApplied | undefined
  readonly amount: Decimal
  readonly journeyTotalBefore: Decimal
  readonly journeyTotalAfter: Decimal
}

export interface PriceResult {
  readonly currency: string
  readonly total: Decimal
  readonly journeys: readonly { readonly legIndexes: readonly number[]; readonly total: Decimal }[]
  readonly legs: readonly PricedLeg[]
}

export function priceJourney(tariff: Tariff, request: PriceRequest): PriceResult {
  checkCallSize(request.legs.length, 'legs')
  const c = compile(tariff)
  checkProfile(tariff, request)
  if (request.legs.length === 0) throw requestInvalid('legs must not be empty')
  const legs = request.legs.map((leg, index): PricingLeg & { index: number } => {
    const where = `legs[${index}]`
    checkRoute(tariff, leg.routeId, where)
    checkStop(tariff, leg.fromStopId, where)
    checkStop(tariff, leg.toStopId, where)
    const route = tariff.routes.get(leg.routeId)
    const departureMs = parseTime(leg.departure, `${where}.departure`)
    const arrivalMs = leg.arrival === undefined ? undefined : parseTime(leg.arrival, `${where}.arrival`)
    if (arrivalMs !== undefined && arrivalMs < departureMs) throw requestInvalid(`${where}: arrival is before departure`)
    return {
      index,
      routeId: leg.routeId,
      networkId: route?.networkId ?? '',
      agencyId: route?.agencyId ?? '',
      fromStopId: leg.fromStopId,
      toStopId: leg.toStopId,
      departureMs,
      arrivalMs,
      riderCategoryId: request.riderCategoryId,
      fareMediaId: request.fareMediaId,
    }
  })
  // Legs are priced in time order; ties keep the request's order.
  const ordered = [...legs].sort((a, b) => a.departureMs - b.departureMs || a.index - b.index)
  const fare = bestFare(tariff, ordered)
  const originalIndex = (i: number): number => (ordered[i] as { index: number }).index
  const range = (start: number, end: number): number[] => Array.from({ length: end - start + 1 }, (_, k) => originalIndex(start + k))
  return {
    currency: fare.spans[0]?.option.product.currency ?? tariff.currency,
    total: c.dec(fare.total),
    journeys: fare.journeys.map((j) => ({ legIndexes: range(j.firstLeg, j.lastLeg), total: c.dec(j.total) })),
    legs: fare.spans.map((span) => ({
      legIndexes: range(span.start, span.end),
      journeyIndex: span.journeyIndex,
      legGroupId: span.option.legGroupId,
      legRuleLine: span.option.rule.line,
      rulePriority: span.option.rule.priority,
      fareProductId: span.option.product.productId,
      legFare: span.option.amount,
      kind: span.kind,
      transfer: span.transfer && {
        rule: span.transfer.rule,
        transferNumber: span.transfer.transferNumber,
        product: span.transfer.product,
        productAmount: c.dec(span.transfer.productUnits),
        elapsedSeconds: span.transfer.elapsedSeconds,
      },
      amount: c.dec(span.increment),
      journeyTotalBefore: c.dec(span.journeyTotalBefore),
      journeyTotalAfter: c.dec(span.journeyTotalAfter),
    })),
  }
}
