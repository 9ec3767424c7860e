/** Array literals round-trip through Postgres exactly, whatever the elements hold. */

import fc from 'fast-check'
import { sql } from 'kysely'
import t from 'tap'
import { arrayLiteral } from '../src/arrays.ts'
import { createTestDatabase } from '../src/testing.ts'

t.test('text arrays come back element for element', async (t) => {
  const { db, drop } = await createTestDatabase()
  t.teardown(drop)
  const cases: (string | null)[][] = [
    [],
    ['a'],
    ['plain', 'with space', 'comma,brace{}', 'NULL', ''],
    ['quote"inside', 'back\\slash', '\\"', null, 'tab\tnew\nline', 'юнікод'],
    [null, null],
  ]
  for (const values of cases) {
    const { rows } = await sql<{ v: (string | null)[] }>`select ${arrayLiteral(values)}::text[] as v`.execute(db)
    t.same(rows[0]?.v, values, JSON.stringify(values))
  }
  // Postgres text cannot hold NUL; everything else can.
  const element = fc.oneof(
    fc.constant(null),
    fc.string({ unit: 'binary' }).map((s) => s.replaceAll('\u0000', '')),
  )
  await fc.assert(
    fc.asyncProperty(fc.array(element, { maxLength: 8 }), async (values) => {
      const { rows } = await sql<{ v: (string | null)[] }>`select ${arrayLiteral(values)}::text[] as v`.execute(db)
      return JSON.stringify(rows[0]?.v) === JSON.stringify(values)
    }),
    { numRuns: 300 },
  )
})

t.test('uuid and bigint arrays', async (t) => {
  const { db, drop } = await createTestDatabase()
  t.teardown(drop)
  const { rows } = await sql<{
    u: string[]
    b: string[]
  }>`select ${arrayLiteral(['01a22359-4902-7338-9363-1a8f9937720c'])}::uuid[] as u,
    ${arrayLiteral(['1', '-9223372036854775808', null])}::bigint[] as b`.execute(db)
  t.same(rows[0], { u: ['01a22359-4902-7338-9363-1a8f9937720c'], b: ['1', '-9223372036854775808', null] })
})
