/**
 * routes.txt and route_networks.txt: each route's agency and network. A
 * route's network comes from one of the two files, never both.
 */
import { feedInvalid } from '../../errors.ts'
import type { Agency, Route } from '../../model.ts'
import { field } from '../csv.ts'
import type { FeedReader } from '../feed-reader.ts'
import { required, unique } from '../fields.ts'

export interface Routes {
  readonly routes: ReadonlyMap<string, Route>
  /** The networks of networks.txt, then those the routes name. */
  readonly networkIds: ReadonlySet<string>
}

export function readRoutes(feed: FeedReader, agencies: ReadonlyMap<string, Agency>, declaredNetworkIds: ReadonlySet<string>): Routes {
  const networkIds = new Set(declaredNetworkIds)
  const routeRows = feed.rows('routes.txt', true, ['route_id'])
  const routeIds = new Set(routeRows.map((row) => field(row, 'route_id')))
  const routeNetworkIds = readRouteNetworks(feed, routeIds, networkIds)
  const routes = new Map<string, Route>()
  const singleAgency = agencies.size === 1 ? ([...agencies.keys()][0] ?? '') : undefined
  for (const row of routeRows) {
    const routeId = required('routes.txt', row, 'route_id')
    if (routes.has(routeId)) throw feedInvalid('routes.txt', row.line, 'route_id', `duplicate key ${JSON.stringify(routeId)}`)
    let agencyId = field(row, 'agency_id')
    if (agencyId === '') {
      if (singleAgency === undefined) throw feedInvalid('routes.txt', row.line, 'agency_id', 'required when the feed has several agencies')
      agencyId = singleAgency
    } else if (!agencies.has(agencyId)) {
      if (singleAgency !== undefined && singleAgency === '') agencyId = ''
      else throw feedInvalid('routes.txt', row.line, 'agency_id', `unknown agency ${JSON.stringify(agencyId)}`)
    }
    const columnNetwork = field(row, 'network_id')
    const listedNetwork = routeNetworkIds.get(routeId)
    if (columnNetwork !== '' && listedNetwork !== undefined) {
      throw feedInvalid('routes.txt', row.line, 'network_id', 'the route also appears in route_networks.txt')
    }
    if (columnNetwork !== '') networkIds.add(columnNetwork)
    routes.set(routeId, { routeId, agencyId, networkId: listedNetwork ?? columnNetwork })
  }
  return { routes, networkIds }
}

/** route_networks.txt: network per route id; adds each network to `networkIds`. */
function readRouteNetworks(feed: FeedReader, routeIds: ReadonlySet<string>, networkIds: Set<string>): Map<string, string> {
  const file = 'route_networks.txt'
  const hasNetworksFile = feed.has('networks.txt')
  const routeNetworkIds = new Map<string, string>()
  const seen = new Set<string>()
  for (const row of feed.rows(file, false, ['network_id', 'route_id'])) {
    const networkId = required(file, row, 'network_id')
    const routeId = required(file, row, 'route_id')
    if (hasNetworksFile && !networkIds.has(networkId)) throw feedInvalid(file, row.line, 'network_id', `unknown network ${JSON.stringify(networkId)}`)
    if (!routeIds.has(routeId)) throw feedInvalid(file, row.line, 'route_id', `unknown route ${JSON.stringify(routeId)}`)
    unique(file, row, 'route_id', routeId, seen)
    routeNetworkIds.set(routeId, networkId)
    networkIds.add(networkId)
  }
  return routeNetworkIds
}
