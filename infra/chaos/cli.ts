/**
 * `pnpm chaos [--minutes 5] [--seed N] [--taps-per-second 20] [--load validators|city] [--keep]`
 * (the package script builds first and passes `--build dist`: a restarted
 * service then starts in about a second instead of compiling its sources):
 * fault injection on a stack of its own (its own Kafka broker and Postgres
 * cluster; nothing shared is touched). Prints what it injected and which
 * checks held; exits 1 if any check failed, 2 on a usage error.
 * docs/chaos.md explains the output.
 */
import { parseArgs } from 'node:util'
import { formatReport } from './report.ts'
import { runChaos } from './run.ts'

function usage(message: string): never {
  console.error(`chaos: ${message}\nusage: pnpm chaos [--minutes M] [--seed N] [--taps-per-second T] [--load validators|city] [--keep] [--build DIR]`)
  process.exit(2)
}

let values: { minutes: string; seed?: string; 'taps-per-second': string; load: string; keep: boolean; build?: string }
try {
  values = parseArgs({
    options: {
      minutes: { type: 'string', default: '5' },
      seed: { type: 'string' },
      'taps-per-second': { type: 'string', default: '20' },
      load: { type: 'string', default: 'validators' },
      keep: { type: 'boolean', default: false },
      build: { type: 'string' },
    },
  }).values as typeof values
} catch (err) {
  usage((err as Error).message)
}
const minutes = Number(values.minutes)
const seed = values.seed === undefined ? Date.now() % 1_000_000 : Number(values.seed)
const tapsPerSecond = Number(values['taps-per-second'])
if (!(minutes > 0)) usage('--minutes must be a number above 0')
if (!Number.isSafeInteger(seed) || seed < 0) usage('--seed must be a whole number')
if (!(tapsPerSecond > 0 && tapsPerSecond <= 1000)) usage('--taps-per-second must be above 0 and at most 1000')
const load = values.load
if (load !== 'validators' && load !== 'city') usage('--load must be validators or city')

// Ctrl-C stops everything the run started (its broker and Postgres run detached) before exiting.
let cleanup: (() => Promise<void>)[] = []
let interrupted = false
const interrupt = (signal: string) => {
  if (interrupted) process.exit(130)
  interrupted = true
  console.error(`chaos: ${signal}; stopping everything it started`)
  void Promise.allSettled(cleanup.map((c) => c())).then(() => process.exit(130))
}
process.on('SIGINT', () => interrupt('SIGINT'))
process.on('SIGTERM', () => interrupt('SIGTERM'))
// A bug in the tool or its load must not leave the broker and Postgres running: stop them, then fail.
const crash = (err: unknown) => {
  console.error('chaos: the tool itself failed:', err)
  void Promise.allSettled(cleanup.map((c) => c())).then(() => process.exit(1))
}
process.on('uncaughtException', crash)
process.on('unhandledRejection', crash)

console.log(`chaos: seed ${seed} (replay with --seed ${seed}), ${minutes} min, load ${load === 'city' ? 'the city simulator' : `${tapsPerSecond} taps/s`}`)
const result = await runChaos({
  minutes,
  seed,
  tapsPerSecond,
  load,
  keepRunDir: values.keep,
  build: values.build,
  log: (line) => console.log(line),
  registerCleanup: (c) => {
    cleanup = [...cleanup, c]
  },
})
console.log(`\n${formatReport(result)}`)
process.exit(result.ok ? 0 : 1)
