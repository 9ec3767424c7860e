import { type Logger, type LoggerOptions, pino } from 'pino'

export type { Logger }

/**
 * Paths that must never reach a log line in clear: bearer tokens, card tokens,
 * keys. Card tokens are opaque but still identify a rider's card.
 */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'cardToken',
  '*.cardToken',
  'taps[*].cardToken',
  'privateKey',
  '*.privateKey',
  'password',
  '*.password',
  'assertion',
  '*.assertion',
  'accessToken',
  '*.accessToken',
]

/** Card tokens also appear in URLs (/v1/cards/{cardToken}/...): mask that segment. */
export function maskCardTokenInUrl(url: string): string {
  return url.replace(/(\/cards\/)[^/?#]+/g, '$1[card]')
}

export function createLogger(options: { level: string; name: string }, destination?: pino.DestinationStream): Logger {
  const config: LoggerOptions = {
    level: options.level,
    name: options.name,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      req: (req: { method?: string; url?: string; id?: string }) => ({
        method: req.method,
        url: maskCardTokenInUrl(req.url ?? ''),
        id: req.id,
      }),
    },
  }
  return destination ? pino(config, destination) : pino(config)
}
