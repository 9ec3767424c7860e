/**
 * The `fares` command line (docs/fares.md section 6):
 *   fares price --feed <dir|zip>   stdin: one journey   -> the lowest total
 *   fares rate  --feed <dir|zip>   stdin: a card's taps -> per-tap charges with caps
 * JSON in, JSON out; exit 0 on success, 2 for a bad feed or request, 3 when
 * no fare applies. Errors are printed as {"error": {"code", "message"}},
 * never as a stack trace. The process entry point is `bin/fares.ts`; this
 * module only maps arguments and input to an outcome, so it can be tested and
 * imported without side effects.
 */
import { EXIT_CODE, isFareError, requestInvalid } from './errors.ts'
import { loadFeed } from './feed/load.ts'
import { toJson } from './json.ts'
import { priceJourney } from './price.ts'
import { rate } from './rate.ts'
import { parsePriceRequest, parseRateRequest } from './request.ts'

const USAGE = 'usage: fares price|rate --feed <dir|zip> < request.json'

export interface CliOutcome {
  readonly exitCode: number
  readonly output: unknown
}

export function runCli(args: readonly string[], stdinText: string): CliOutcome {
  try {
    const command = args[0]
    const feedFlag = args.indexOf('--feed')
    const feedPath = feedFlag >= 0 ? args[feedFlag + 1] : undefined
    if ((command !== 'price' && command !== 'rate') || feedPath === undefined) throw requestInvalid(USAGE)
    const tariff = loadFeed(feedPath)
    let body: unknown
    try {
      body = JSON.parse(stdinText)
    } catch {
      throw requestInvalid('standard input is not valid JSON')
    }
    const warnings = tariff.warnings.length > 0 ? { warnings: tariff.warnings } : {}
    if (command === 'price') {
      const result = priceJourney(tariff, parsePriceRequest(body))
      return {
        exitCode: 0,
        output: {
          total: toJson(result.total, result.currency),
          currency: result.currency,
          journeys: toJson(result.journeys, result.currency),
          legs: toJson(result.legs, result.currency),
          ...warnings,
        },
      }
    }
    const request = parseRateRequest(body)
    const rating = rate(tariff, request, request.taps, request.options)
    return {
      exitCode: 0,
      output: { total: toJson(rating.total, rating.currency), currency: rating.currency, charges: toJson(rating.charges, rating.currency), ...warnings },
    }
  } catch (error) {
    if (isFareError(error)) {
      return {
        exitCode: EXIT_CODE[error.code],
        output: { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } },
      }
    }
    const message = error instanceof Error ? error.message : String(error)
    return { exitCode: 1, output: { error: { code: 'INTERNAL', message } } }
  }
}
