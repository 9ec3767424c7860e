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
export { readFeedFolder, feedDigest, type FeedFiles } from './feed.ts'
export { saveTariffVersion, TariffVersionError, type NewTariffVersion, type TariffVersionErrorCode } from './store.ts'
export { publishedVersions, tariffVersionFeed, type PublishedVersion, type PublishedVersions, type TariffVersionFeed } from './published.ts'
export { createTariffBook, timeZoneAt, type TariffBook, type TariffVersionInForce } from './book.ts'
export {
  cardProfile,
  engineTap,
  profileAt,
  ratingSegments,
  type EarlierCategory,
  type ProfileWithHistory,
  type RatingSegment,
  type StoredProfile,
  type StoredTap,
  unratableReason,
} from './card-profile.ts'
export { loadEarlierCategories, loadPredecessors } from './card-history.ts'
export { activateDraft, DraftActivationError, getDraft, listDrafts, saveDraft, type Draft, type DraftActivationRefusal, type DraftSummary } from './drafts.ts'
