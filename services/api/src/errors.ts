/**
 * The api's error catalogue: each code it answers with its HTTP status and
 * message template, in one place, as Fastify's own lib/errors.js. Thrown, they
 * are answered by @fare/platform's errorHandling. Token and scope codes are
 * @fare/auth's; codes of the HTTP layer itself are @fare/platform's.
 */
import createError from '@fastify/error'

/** Also answered for a card the caller may not see, so card tokens cannot be probed. */
export const CardNotFound = createError('CARD_NOT_FOUND', 'no such card', 404)
/** Argument: why the public key cannot be used. */
export const KeyInvalid = createError('KEY_INVALID', '%s', 400)
/** Argument: the operator id. */
export const OperatorNotFound = createError('OPERATOR_NOT_FOUND', 'no operator %s', 404)
/** Argument: the device id. */
export const DeviceExists = createError('DEVICE_EXISTS', 'device %s is already registered', 409)
export const DeviceNotFound = createError('DEVICE_NOT_FOUND', 'no such device', 404)
/** At the token endpoint, beside @fare/auth's TOKEN_INVALID: the device is registered but revoked. */
export const DeviceRevoked = createError('DEVICE_REVOKED', 'this device has been revoked', 401)
/** A trips `cursor` this api did not hand out (or one altered on the way). */
export const CursorInvalid = createError('CURSOR_INVALID', 'cursor is not one this api handed out', 400)
/** Argument: what is wrong with `from` and `to`. */
export const DateRangeInvalid = createError('DATE_RANGE_INVALID', '%s', 400)
/** Argument: the media types offered. */
export const NotAcceptable = createError('NOT_ACCEPTABLE', 'this resource is available as %s', 406)
/** Argument: which card is already issued. */
export const CardExists = createError('CARD_EXISTS', '%s', 409)
/** A replaced card stays blocked and cannot be replaced again. */
export const CardReplaced = createError('CARD_REPLACED', '%s', 409)
export const AccountNotFound = createError('ACCOUNT_NOT_FOUND', 'no such rider account', 404)
/** Argument: why (not above zero, too many decimals for the currency, too large). */
export const AmountInvalid = createError('AMOUNT_INVALID', '%s', 400)
/** Argument: which currency the account holds. */
export const CurrencyMismatch = createError('CURRENCY_MISMATCH', '%s', 400)
/** A refund pays back stored value: at most the balance. */
export const InsufficientBalance = createError('INSUFFICIENT_BALANCE', '%s', 409)
/** Argument: what is wrong with the validity dates. */
export const CategoryDatesInvalid = createError('CATEGORY_DATES_INVALID', '%s', 400)
/** Money routes need an Idempotency-Key header, so a retry never moves money twice. */
export const IdempotencyKeyRequired = createError('IDEMPOTENCY_KEY_REQUIRED', 'send an Idempotency-Key header', 400)
/** Argument: the key. The same key was used with another request (route, account or body). */
export const IdempotencyConflict = createError('IDEMPOTENCY_CONFLICT', 'idempotency key %s was already used with a different request', 409)
/** Argument: the key. The first request with this key is still running; retry later. */
export const IdempotencyInProgress = createError('IDEMPOTENCY_IN_PROGRESS', 'a request with idempotency key %s is still running; retry', 409)

// Reports (docs/reports.md).
/** Argument: what is wrong with `from`, `to` or `month`. */
export const ReportRangeInvalid = createError('REPORT_RANGE_INVALID', '%s', 400)
/** Argument: why. An operator asked for another operator's figures. */
export const ReportOperatorForbidden = createError('REPORT_OPERATOR_FORBIDDEN', '%s', 403)
/** Argument: the report. A report of one operator's books (its statement): an admin must name the operator. */
export const ReportOperatorRequired = createError('REPORT_OPERATOR_REQUIRED', "%s is one operator's: give ?operator=", 400)

// The dashboard (docs/dashboard.md).
/** A form of another site posted to the dashboard's sign-in or sign-out. */
export const DashboardOriginForbidden = createError('ORIGIN_FORBIDDEN', 'a form of another site cannot post to the dashboard', 403)

// Tariff drafts (docs/tariffs.md).
/** The fare engine refused the uploaded feed; `details` names the file, line and field. Argument: the engine's message. */
export const FeedInvalid = createError('FEED_INVALID', '%s', 422)
/** The upload is not a zip archive that can be read. Argument: why. */
export const FeedArchiveInvalid = createError('FEED_ARCHIVE_INVALID', '%s', 400)
/** A file name that is not a plain GTFS .txt name at the feed's root. Arguments: the name, why. */
export const FeedFileNameInvalid = createError('FEED_FILE_NAME_INVALID', 'feed file %s refused: %s', 400)
/** Argument: which limit. */
export const FeedTooLarge = createError('FEED_TOO_LARGE', 'the feed is too large: %s', 413)
/** The upload is neither application/zip nor multipart/form-data with files. Argument: what was sent. */
export const FeedUploadInvalid = createError('FEED_UPLOAD_INVALID', '%s', 400)
export const TariffDraftNotFound = createError('TARIFF_DRAFT_NOT_FOUND', 'no such tariff draft', 404)
/** A draft becomes one version: activated already, at another instant. Argument: @fare/tariffs' message. */
export const TariffDraftAlreadyActivated = createError('TARIFF_DRAFT_ALREADY_ACTIVATED', '%s', 409)
/** Argument: the instant asked for. */
export const EffectiveFromNotFuture = createError(
  'EFFECTIVE_FROM_NOT_FUTURE',
  'effectiveFrom %s is not in the future; a tariff is activated ahead of its start',
  400,
)
/** @fare/tariffs' refusals when publishing (arguments: its message). */
export const TariffEffectiveFromInvalid = createError('TARIFF_EFFECTIVE_FROM_INVALID', '%s', 400)
export const TariffVersionConflict = createError('TARIFF_VERSION_CONFLICT', '%s', 409)
/** Argument: why the range is refused. */
export const SimulationRangeInvalid = createError('SIMULATION_RANGE_INVALID', '%s', 400)
/** Arguments: the taps in the range, the most one simulation rates. */
export const SimulationTooLarge = createError(
  'SIMULATION_TOO_LARGE',
  'the range holds %s taps, more than the %s one simulation rates; simulate a shorter range',
  422,
)
/** One simulation at a time per api process: it takes a core for up to a minute. */
export const SimulationBusy = createError('SIMULATION_BUSY', 'another tariff simulation is running on this server; try again when it is done', 429)
