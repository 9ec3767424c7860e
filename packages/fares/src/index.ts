/**
 * @fare/fares: the pure fare engine. The tariff, the card profile, the taps
 * and the clock are arguments; the only IO is loadFeed reading a feed.
 */
export { FareError, EXIT_CODE, type FareErrorCode, type FareErrorDetails } from './errors.ts'
export { loadFeed, loadFeedFromFiles } from './feed/load.ts'
export type { Tariff, FeedWarning, Cap, CapPeriod } from './model.ts'
export { priceJourney, type PriceResult, type PricedLeg } from './price.ts'
export type { CardProfile, Tap, RateOptions, PriceRequest, PriceLegRequest, RateRequest } from './request.ts'
export { parsePriceRequest, parseRateRequest } from './request.ts'
export { rate, type Rating, type Charge, type ChargeFlag } from './rate.ts'
export { diffRatings, type Adjustment, type AdjustmentReason } from './diff.ts'
export { rerateWindow, capStatus, type CapStatus } from './window.ts'
/** Local time in a tariff's zone, for readers of charges (the rider api's days, months and times). */
export { formatInstant, instantOfLocal, dayNumberOf, civilOf, localTime, MS_PER_DAY } from './time/zone.ts'
export { splitJourneyRevenue } from './split.ts'
export { sentence, type Explanation, type LegFacts, type RuleFacts, type FareTransferFacts, type CapFacts, type JourneyFacts } from './explain.ts'
export { toJson } from './json.ts'
export { parseInstant } from './time/zone.ts'
export { runCli, type CliOutcome } from './cli.ts'
