import { Registry, collectDefaultMetrics, Counter, Gauge, Histogram } from 'prom-client'

export { Registry, Counter, Gauge, Histogram }

/** One registry per process, with Node's default metrics, served at /metrics. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry()
  registry.setDefaultLabels({ service })
  collectDefaultMetrics({ register: registry })
  return registry
}
