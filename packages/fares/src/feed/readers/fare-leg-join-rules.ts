/** fare_leg_join_rules.txt: which consecutive legs, network to network, form one effective leg (docs/fares.md section 2). */
import { feedInvalid } from '../../errors.ts'
import type { JoinRule, Stop } from '../../model.ts'
import { field } from '../csv.ts'
import type { FeedReader } from '../feed-reader.ts'
import { opt, reference, required } from '../fields.ts'

const FILE = 'fare_leg_join_rules.txt'

export function readFareLegJoinRules(feed: FeedReader, networkIds: ReadonlySet<string>, stops: ReadonlyMap<string, Stop>): JoinRule[] {
  // Without stops.txt any stop id is accepted (as in taps).
  const hasStops = feed.has('stops.txt')
  const joinRules: JoinRule[] = []
  for (const row of feed.rows(FILE, false, ['from_network_id', 'to_network_id'])) {
    required(FILE, row, 'from_network_id')
    required(FILE, row, 'to_network_id')
    const fromNetworkId = reference(FILE, row, 'from_network_id', networkIds, 'network') ?? ''
    const toNetworkId = reference(FILE, row, 'to_network_id', networkIds, 'network') ?? ''
    const fromStopId = hasStops ? reference(FILE, row, 'from_stop_id', stops, 'stop') : opt(field(row, 'from_stop_id'))
    const toStopId = hasStops ? reference(FILE, row, 'to_stop_id', stops, 'stop') : opt(field(row, 'to_stop_id'))
    if ((fromStopId === undefined) !== (toStopId === undefined)) {
      throw feedInvalid(FILE, row.line, fromStopId === undefined ? 'from_stop_id' : 'to_stop_id', 'from_stop_id and to_stop_id go together')
    }
    joinRules.push({ line: row.line, fromNetworkId, toNetworkId, fromStopId, toStopId })
  }
  return joinRules
}
