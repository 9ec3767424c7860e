/**
 * `pnpm ledger:check [--group G] [--topic T]`: checks the ledger's invariants
 * against DATABASE_URL and exits 1 listing every violation (0 when all hold).
 * Offsets are checked against one consumer group on one topic: the flags, else
 * LEDGER_GROUP and TAPS_TOPIC, else the service's defaults (`ledger`, `taps`).
 * Safe to run on a live ledger: it only reads (a batch committing meanwhile may
 * show as a transient difference; run it again before acting).
 */
import { parseArgs } from 'node:util'
import { createDb } from '@fare/db'
import { checkInvariants, DEFAULT_SOURCE } from './check.ts'

let flags: { group: string; topic: string }
try {
  const { values } = parseArgs({
    options: {
      group: { type: 'string', default: process.env.LEDGER_GROUP || DEFAULT_SOURCE.consumerGroup },
      topic: { type: 'string', default: process.env.TAPS_TOPIC || DEFAULT_SOURCE.topic },
    },
  })
  flags = { group: values.group, topic: values.topic }
} catch (err) {
  console.error(`ledger:check: ${err instanceof Error ? err.message : String(err)}\nusage: pnpm ledger:check [--group GROUP] [--topic TOPIC]`)
  process.exit(2)
}

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fare'
const db = createDb(url, { maxConnections: 2, applicationName: 'ledger-check' })
try {
  const violations = await checkInvariants(db, { rerate: process.env.LEDGER_CHECK_RERATE !== '0', source: { consumerGroup: flags.group, topic: flags.topic } })
  for (const v of violations) console.log(`VIOLATION [${v.invariant}] ${v.detail}`)
  if (violations.length > 0) {
    console.log(`ledger:check: ${violations.length} violation(s)`)
    process.exitCode = 1
  } else console.log(`ledger:check: all invariants hold (offsets of group ${flags.group} on topic ${flags.topic})`)
} catch (err) {
  console.error('ledger:check could not run:', err)
  process.exitCode = 2
} finally {
  await db.destroy()
}
