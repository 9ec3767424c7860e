import { parseTapEvent, type TapEvent } from '@fare/contracts'
import type { KafkaMessage } from '@fare/platform'

export type Decoded = { ok: true; event: TapEvent } | { ok: false; reason: string }

/**
 * A Kafka record back into a tap event, with the tap contract's parser (the
 * one ingest reads uploads with): the event comes back in canonical form,
 * whatever form an older ingest wrote it in. Anything else is a reason, never
 * a throw.
 */
export function decodeTapMessage(message: KafkaMessage): Decoded {
  if (!message.value) return { ok: false, reason: 'empty record' }
  let value: unknown
  try {
    value = JSON.parse(message.value.toString('utf8'))
  } catch {
    return { ok: false, reason: 'record is not JSON' }
  }
  const parsed = parseTapEvent(value)
  if (!parsed.ok) return { ok: false, reason: `schema: ${parsed.error}` }
  return { ok: true, event: parsed.value }
}
