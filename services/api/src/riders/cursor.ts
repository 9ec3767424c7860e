/**
 * The opaque `cursor` of a trips page: the last journey shown (its start and
 * id), base64url of a small JSON document. Opaque so clients never build one;
 * anything that does not decode to exactly that shape is refused.
 */
import type { JourneyKey } from './journeys.ts'

const JOURNEY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/

export function encodeCursor(key: JourneyKey): string {
  return Buffer.from(JSON.stringify({ s: key.startMs, j: key.journeyId })).toString('base64url')
}

/** The key, or undefined for anything this api did not hand out. */
export function decodeCursor(cursor: string): JourneyKey | undefined {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Object.keys(value).length !== 2) return undefined
  const { s, j } = value as Record<string, unknown>
  if (!Number.isSafeInteger(s) || typeof j !== 'string' || !JOURNEY_ID.test(j)) return undefined
  return { startMs: s as number, journeyId: j }
}
