/**
 * A parsed tap, as the `taps` topic carries it: keyed by card, the value the
 * TapEvent JSON (the tap's own fields, then the device, operator and arrival
 * time taken from the token and the clock). Written as text directly rather
 * than by spreading each tap into a new object and serialising that: this runs
 * for every tap at tens of thousands a second.
 */
import { TAP_EVENT_SCHEMA, type TapContext, type TapInput, type TapRecord } from '@fare/contracts'

const PREFIX = `{"schema":${JSON.stringify(TAP_EVENT_SCHEMA)},`

/**
 * Encodes the taps of one request. Each tap and the context come from the tap
 * contract's parsers (`parseTapInput`, `parseTapContext`), so the record is in
 * canonical form. The context's fields are not tap input fields (the input
 * schema refuses unknown fields), so none is written twice.
 */
export function tapRecordEncoder(context: TapContext): (tap: TapInput) => TapRecord {
  const suffix =
    `,"deviceId":${JSON.stringify(context.deviceId)}` +
    `,"operatorId":${JSON.stringify(context.operatorId)}` +
    `,"receivedAt":${JSON.stringify(context.receivedAt)}}`
  return (tap) => {
    const own = JSON.stringify(tap)
    // A parsed tap has its required fields, so `own` is never the empty object "{}".
    return { key: tap.cardToken, value: PREFIX + own.slice(1, -1) + suffix }
  }
}
