/**
 * @fare/tariffs: the tariff versions in Postgres (`tariff_versions`). Every
 * reader and writer of that table goes through here: publishing a version
 * (validated by the fare engine first), the version in force at an instant,
 * and the files a validator downloads. Also how a stored card and its taps
 * become the engine's input (card-profile.ts, card-history.ts), which the
 * ledger, the rider api and draft simulations must agree on; and tariff
 * drafts (`tariff_drafts`), which become versions only when activated
 * (docs/tariffs.md).
 */

export { createTariffBook, type TariffBook, type TariffVersionInForce, timeZoneAt } from './book.ts'
export { loadEarlierCategories, loadPredecessors } from './card-history.ts'
export {
  cardProfile,
  type EarlierCategory,
  engineTap,
  type ProfileWithHistory,
  profileAt,
  type RatingSegment,
  ratingSegments,
  type StoredProfile,
  type StoredTap,
  unratableReason,
} from './card-profile.ts'
export { activateDraft, type Draft, DraftActivationError, type DraftActivationRefusal, type DraftSummary, getDraft, listDrafts, saveDraft } from './drafts.ts'
export { type FeedFiles, feedDigest, readFeedFolder } from './feed.ts'
export { type PublishedVersion, type PublishedVersions, publishedVersions, type TariffVersionFeed, tariffVersionFeed } from './published.ts'
export { formatDay, parseDay, type ServiceTime, serviceDayStartMs, serviceDayStartSecond, serviceTimeOf } from './service-days.ts'
export { type NewTariffVersion, saveTariffVersion, TariffVersionError, type TariffVersionErrorCode } from './store.ts'
