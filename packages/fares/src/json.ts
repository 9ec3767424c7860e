/** JSON views of engine results: money as strings with the currency's minor-unit digits. */
import { Decimal, formatAmount } from '@fare/money'

export function toJson(value: unknown, currency: string): unknown {
  if (value instanceof Decimal) return formatAmount(value, currency)
  if (Array.isArray(value)) return value.map((item) => toJson(item, currency))
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toJson(v, currency)]))
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = toJson(item, currency)
    return out
  }
  return value
}
