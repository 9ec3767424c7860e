/**
 * One bench of `pnpm bench`, in a child process of its own (bench/run.ts
 * starts it): runs the bench's function with the options given as JSON and
 * sends its result object back over the IPC channel. A bench that throws, or
 * leaves a process behind, cannot take the other benches or the table down.
 *   node --import tsx bench/run-one.ts <bench> '<options as JSON>'
 */
import { runFaresBench } from './fares.bench.ts'
import { runFastifyBench } from './fastify.bench.ts'
import { runIngestBench } from './ingest.bench.ts'
import { runLedgerBench } from './ledger.bench.ts'
import { runReplayBench } from './replay.bench.ts'
import { runReportsBench } from './run-reports.ts'
import { runLatencyBench } from './tap-to-balance.bench.ts'

// biome-ignore lint/suspicious/noExplicitAny: each bench checks its own options; they come from bench/run.ts's plan.
const BENCHES: Record<string, (options: any) => Promise<unknown>> = {
  fares: runFaresBench,
  ingest: runIngestBench,
  ledger: runLedgerBench,
  fastify: runFastifyBench,
  latency: runLatencyBench,
  reports: runReportsBench,
  replay: runReplayBench,
}

const [name, json] = process.argv.slice(2)
const bench = name === undefined ? undefined : BENCHES[name]
if (bench === undefined || process.send === undefined) {
  console.error(`usage (from bench/run.ts, with an IPC channel): run-one.ts <${Object.keys(BENCHES).join('|')}> '<options JSON>'`)
  process.exit(2)
}
try {
  const result = await bench(JSON.parse(json ?? '{}'))
  process.send({ result }, () => process.exit(0))
} catch (err) {
  const message = err instanceof Error ? err.message : String(err)
  console.error(err)
  process.send({ error: message }, () => process.exit(1))
}
