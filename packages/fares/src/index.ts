/**
 * @fare/fares: the pure fare engine. The tariff, the card profile, the taps
 * and the clock are arguments; the only IO is loadFeed reading a feed.
 */

export { type CliOutcome, runCli } from './cli.ts'
export { type Adjustment, type AdjustmentReason, diffRatings } from './diff.ts'
export { EXIT_CODE, FareError, type FareErrorCode, type FareErrorDetails } from './errors.ts'
export { type CapFacts, type Explanation, type FareTransferFacts, type JourneyFacts, type LegFacts, type RuleFacts, sentence } from './explain.ts'
export { loadFeed, loadFeedFromFiles } from './feed/load.ts'
export { toJson } from './json.ts'
export type { Cap, CapPeriod, FeedWarning, Tariff } from './model.ts'
export { type PricedLeg, type PriceResult, priceJourney } from './price.ts'
export { type Charge, type ChargeFlag, type Rating, rate } from './rate.ts'
export type { CardProfile, PriceLegRequest, PriceRequest, RateOptions, RateRequest, Tap } from './request.ts'
export { parsePriceRequest, parseRateRequest } from './request.ts'
export { splitJourneyRevenue } from './split.ts'
/** Local time in a tariff's zone, for readers of charges (the rider api's days, months and times). */
export { civilOf, dayNumberOf, formatInstant, instantOfLocal, localTime, MS_PER_DAY, parseInstant } from './time/zone.ts'
export { type CapStatus, capStatus, rerateWindow } from './window.ts'
