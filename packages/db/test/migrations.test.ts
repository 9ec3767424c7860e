/**
 * The migrations are listed in migrations/index.ts (so they bundle into dist/
 * with the code): every migration file is listed, under the name Kysely has
 * recorded it by in databases migrated before (its file name).
 */

import { readdirSync } from 'node:fs'
import t from 'tap'
import { MIGRATIONS } from '../src/migrations/index.ts'

t.test('every migration file is listed under its file name', async (t) => {
  const files = readdirSync(new URL('../src/migrations/', import.meta.url))
    .filter((name) => name !== 'index.ts')
    .map((name) => name.replace(/\.ts$/, ''))
    .sort()
  t.same(Object.keys(MIGRATIONS).sort(), files)
  for (const [name, migration] of Object.entries(MIGRATIONS)) t.type(migration.up, 'function', `${name} has up()`)
})
