import { type Parsed, parseTapEvent, TAP_EVENT_SCHEMA, type TapEvent } from '@fare/contracts'
import type { KafkaMessage } from '@fare/platform'
import type { RejectCode } from './errors.ts'

export type Decoded = { ok: true; event: TapEvent } | { ok: false; code: Extract<RejectCode, 'SCHEMA' | 'UNKNOWN_VERSION'>; reason: string }

/**
 * One reader per version of the tap event, named by the record's `schema`
 * field. A new version (docs/ledger.md, "A new version of the tap event") adds
 * its reader here, turning the record into the tap event the ledger settles;
 * the ledger is deployed with it before any ingest writes that version.
 */
const READERS: Readonly<Record<string, (value: unknown) => Parsed<TapEvent>>> = {
  [TAP_EVENT_SCHEMA]: parseTapEvent,
}

/**
 * A Kafka record back into a tap event, with the tap contract's parser for its
 * version (the one ingest reads uploads with): the event comes back in
 * canonical form, whatever form an older ingest wrote it in. Anything else is
 * a reason, never a throw.
 */
export function decodeTapMessage(message: KafkaMessage): Decoded {
  if (!message.value) return { ok: false, code: 'SCHEMA', reason: 'empty record' }
  let value: unknown
  try {
    value = JSON.parse(message.value.toString('utf8'))
  } catch {
    return { ok: false, code: 'SCHEMA', reason: 'record is not JSON' }
  }
  const version = typeof value === 'object' && value !== null ? (value as { schema?: unknown }).schema : undefined
  const read = typeof version === 'string' && Object.hasOwn(READERS, version) ? READERS[version] : undefined
  if (!read) {
    const named = typeof version === 'string' ? `version ${JSON.stringify(version.slice(0, 40))}` : 'no version'
    return {
      ok: false,
      code: typeof version === 'string' ? 'UNKNOWN_VERSION' : 'SCHEMA',
      reason: `tap event with ${named}; this ledger reads ${Object.keys(READERS).join(', ')}`,
    }
  }
  const parsed = read(value)
  if (!parsed.ok) return { ok: false, code: 'SCHEMA', reason: `schema: ${parsed.error}` }
  return { ok: true, event: parsed.value }
}
