/**
 * /metrics for a service running as several node:cluster workers behind one
 * port. Prometheus scrapes one connection, which lands on one worker; that
 * worker's own counters would be a fraction of the truth. So a worker answers
 * /metrics with the whole cluster's: it asks the primary over IPC, and the
 * primary gathers every worker's registry with prom-client's
 * AggregatorRegistry (counters and histograms summed).
 */
import cluster from 'node:cluster'
import { AggregatorRegistry, type Registry } from 'prom-client'

/** What /metrics serves: one process's registry, or the cluster's. */
export interface MetricsSource {
  readonly contentType: string
  metrics(): Promise<string>
}

const REQUEST = 'fare:cluster-metrics-request'
const RESPONSE = 'fare:cluster-metrics-response'

interface MetricsRequest {
  type: typeof REQUEST
  id: number
}
interface MetricsResponse {
  type: typeof RESPONSE
  id: number
  body?: string
  error?: string
}

/** In the primary: answer workers' requests for the cluster's metrics. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry()
  cluster.on('message', (worker, message: Partial<MetricsRequest>) => {
    if (message?.type !== REQUEST || typeof message.id !== 'number') return
    const id = message.id
    aggregator.clusterMetrics().then(
      (body) => worker.send({ type: RESPONSE, id, body } satisfies MetricsResponse),
      (err: unknown) => worker.send({ type: RESPONSE, id, error: err instanceof Error ? err.message : String(err) } satisfies MetricsResponse),
    )
  })
}

/**
 * In a worker: offers `registry` to the primary's aggregation and returns the
 * source /metrics serves (the whole cluster's metrics, in Prometheus text).
 */
export function clusterMetricsSource(registry: Registry, timeoutMs = 5000): MetricsSource {
  AggregatorRegistry.setRegistries([registry])
  void new AggregatorRegistry() // registers the worker's answer to the primary's collection requests
  const pending = new Map<number, { resolve: (body: string) => void; reject: (err: Error) => void }>()
  let nextId = 0
  process.on('message', (message: Partial<MetricsResponse>) => {
    if (message?.type !== RESPONSE || typeof message.id !== 'number') return
    const waiter = pending.get(message.id)
    if (!waiter) return
    pending.delete(message.id)
    if (message.error !== undefined) waiter.reject(new Error(`cluster metrics: ${message.error}`))
    else waiter.resolve(message.body ?? '')
  })
  return {
    contentType: registry.contentType,
    metrics() {
      const id = nextId++
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id)
          reject(new Error(`cluster metrics: no answer from the primary within ${timeoutMs} ms`))
        }, timeoutMs)
        pending.set(id, {
          resolve: (body) => {
            clearTimeout(timer)
            resolve(body)
          },
          reject: (err) => {
            clearTimeout(timer)
            reject(err)
          },
        })
        process.send?.({ type: REQUEST, id } satisfies MetricsRequest)
      })
    },
  }
}
