/**
 * `pnpm ledger:check`: checks the ledger's invariants against DATABASE_URL
 * and exits 1 listing every violation (0 when all hold). Safe to run on a live
 * ledger: it only reads (a batch committing meanwhile may show as a transient
 * difference; run it again before acting).
 */
import { createDb } from '@fare/db'
import { checkInvariants } from './check.ts'

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fare'
const db = createDb(url, { maxConnections: 2, applicationName: 'ledger-check' })
try {
  const violations = await checkInvariants(db, { rerate: process.env.LEDGER_CHECK_RERATE !== '0' })
  for (const v of violations) console.log(`VIOLATION [${v.invariant}] ${v.detail}`)
  if (violations.length > 0) {
    console.log(`ledger:check: ${violations.length} violation(s)`)
    process.exitCode = 1
  } else console.log('ledger:check: all invariants hold')
} catch (err) {
  console.error('ledger:check could not run:', err)
  process.exitCode = 2
} finally {
  await db.destroy()
}
