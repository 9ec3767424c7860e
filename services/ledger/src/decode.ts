import { tapEventChecker, type TapEvent } from '@fare/contracts'
import type { KafkaMessage } from '@fare/platform'

export type Decoded = { ok: true; event: TapEvent } | { ok: false; reason: string }

/** A Kafka record back into a tap event; anything else is a reason, never a throw. */
export function decodeTapMessage(message: KafkaMessage): Decoded {
  if (!message.value) return { ok: false, reason: 'empty record' }
  let value: unknown
  try {
    value = JSON.parse(message.value.toString('utf8'))
  } catch {
    return { ok: false, reason: 'record is not JSON' }
  }
  if (!tapEventChecker.check(value)) return { ok: false, reason: `schema: ${tapEventChecker.firstError(value)}` }
  return { ok: true, event: value }
}
