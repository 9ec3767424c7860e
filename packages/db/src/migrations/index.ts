/**
 * Every migration, by the name Kysely records it under (the file name without
 * its extension: databases migrated when migrations were read from this
 * folder keep their history). Imported rather than read from the folder, so
 * migrations travel inside a bundled service (dist/) like any other code.
 * A new migration is a new file here and a new line below; the test in
 * packages/db/test/migrations.test.ts fails if a file is not listed.
 */
import type { Migration } from 'kysely'
import * as foundation from './2026-11-28T00-00-foundation.ts'
import * as distribution from './2026-11-28T01-00-distribution.ts'
import * as ledger from './2026-11-28T02-00-ledger.ts'
import * as deviceAssertions from './2026-11-28T03-00-device-assertions.ts'
import * as transferWriteCost from './2026-11-28T04-00-transfer-write-cost.ts'
import * as administration from './2026-12-02T00-00-administration.ts'
import * as tariffDrafts from './2026-12-02T02-00-tariff-drafts.ts'
import * as tapCharges from './2026-12-02T04-00-tap-charges.ts'
import * as reconciliationIndexes from './2026-12-02T06-00-reconciliation-indexes.ts'
import * as transfersByAccountTime from './2026-12-02T06-10-transfers-by-account-time.ts'
import * as reportRollups from './2026-12-02T08-00-report-rollups.ts'
import * as transferHours from './2026-12-02T08-10-transfer-hours.ts'
import * as accountTransfersCovering from './2026-12-02T10-00-account-transfers-covering.ts'

export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '2026-11-28T00-00-foundation': foundation,
  '2026-11-28T01-00-distribution': distribution,
  '2026-11-28T02-00-ledger': ledger,
  '2026-11-28T03-00-device-assertions': deviceAssertions,
  '2026-11-28T04-00-transfer-write-cost': transferWriteCost,
  '2026-12-02T00-00-administration': administration,
  '2026-12-02T02-00-tariff-drafts': tariffDrafts,
  '2026-12-02T04-00-tap-charges': tapCharges,
  '2026-12-02T06-00-reconciliation-indexes': reconciliationIndexes,
  '2026-12-02T06-10-transfers-by-account-time': transfersByAccountTime,
  '2026-12-02T08-00-report-rollups': reportRollups,
  '2026-12-02T08-10-transfer-hours': transferHours,
  '2026-12-02T10-00-account-transfers-covering': accountTransfersCovering,
}
