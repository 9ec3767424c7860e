/** fare_leg_rules.txt: the leg rules, in file order, and whether the file has a rule_priority column. */
import { feedInvalid } from '../../errors.ts'
import type { LegRule, ProductRow } from '../../model.ts'
import { field } from '../csv.ts'
import type { FeedReader } from '../feed-reader.ts'
import { integer, opt, reference, required, unique } from '../fields.ts'

const FILE = 'fare_leg_rules.txt'

/** The ids a leg rule may name. */
export interface LegRuleReferences {
  readonly products: ReadonlyMap<string, readonly ProductRow[]>
  readonly networkIds: ReadonlySet<string>
  readonly areaIds: ReadonlySet<string>
  readonly timeframeGroupIds: ReadonlySet<string>
}

export interface FareLegRules {
  readonly legRules: readonly LegRule[]
  readonly hasRulePriority: boolean
}

export function readFareLegRules(feed: FeedReader, known: LegRuleReferences): FareLegRules {
  const table = feed.table(FILE, true, ['fare_product_id'])
  const hasRulePriority = table?.header.includes('rule_priority') ?? false
  const legRules: LegRule[] = []
  const keys = new Set<string>()
  for (const row of table?.rows ?? []) {
    const productId = required(FILE, row, 'fare_product_id')
    if (!known.products.has(productId)) throw feedInvalid(FILE, row.line, 'fare_product_id', `unknown fare product ${JSON.stringify(productId)}`)
    const networkId = reference(FILE, row, 'network_id', known.networkIds, 'network')
    const fromAreaId = reference(FILE, row, 'from_area_id', known.areaIds, 'area')
    const toAreaId = reference(FILE, row, 'to_area_id', known.areaIds, 'area')
    const fromTimeframeGroupId = reference(FILE, row, 'from_timeframe_group_id', known.timeframeGroupIds, 'timeframe group')
    const toTimeframeGroupId = reference(FILE, row, 'to_timeframe_group_id', known.timeframeGroupIds, 'timeframe group')
    const priority = hasRulePriority ? (integer(FILE, row, 'rule_priority', 0, Number.MAX_SAFE_INTEGER) ?? 0) : 0
    const legGroupId = opt(field(row, 'leg_group_id'))
    const key = [networkId, fromAreaId, toAreaId, fromTimeframeGroupId, toTimeframeGroupId, productId].map((v) => v ?? '').join('\u0000')
    unique(FILE, row, 'fare_product_id', key, keys)
    legRules.push({ line: row.line, legGroupId, networkId, fromAreaId, toAreaId, fromTimeframeGroupId, toTimeframeGroupId, productId, priority })
  }
  return { legRules, hasRulePriority }
}
