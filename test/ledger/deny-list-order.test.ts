/**
 * Deny-list versions become visible in version order. A version is taken at
 * INSERT time; without serialisation a transaction with version 11 could commit
 * while one holding 10 is still open, and a validator that fetched `since=11`
 * would never see 10. Writers of `deny_list_changes` (the ledger's
 * refreshDenyList, a top-up's restore) hold an advisory lock to commit, so the
 * second writer waits for the first.
 */

import { openCard, refreshDenyList, topUp } from '@fare/bookkeeping'
import { createTestDatabase } from '@fare/db/testing'
import { parseAmount } from '@fare/money'
import t from 'tap'

t.test('a second deny-list writer waits until the first commits; versions commit in order', async (t) => {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  const { db } = database
  const accountA = await db.transaction().execute((trx) => openCard(trx, { cardToken: 'order-a', currency: 'UAH' }))
  await db.transaction().execute((trx) => openCard(trx, { cardToken: 'order-b', currency: 'UAH' }))
  await db.transaction().execute((trx) => openCard(trx, { cardToken: 'order-c', currency: 'UAH' }))
  // Balance 0 with a 10.00 ride and no credit: denied.
  const check = (cardToken: string) => ({ cardToken, maxRideAmount: parseAmount('10.00'), creditAllowance: parseAmount('0') })

  let releaseA!: () => void
  const aMayCommit = new Promise<void>((r) => (releaseA = r))
  let aInserted!: () => void
  const aHasVersion = new Promise<void>((r) => (aInserted = r))
  const a = db.transaction().execute(async (trx) => {
    await refreshDenyList(trx, [check('order-a')])
    aInserted()
    await aMayCommit
  })
  await aHasVersion
  let bDone = false
  const b = db
    .transaction()
    .execute(async (trx) => {
      await refreshDenyList(trx, [check('order-b')])
    })
    .then(() => {
      bDone = true
    })

  // Without the lock B would insert and commit in milliseconds; with it, it waits for A however long.
  await new Promise((r) => setTimeout(r, 500))
  t.notOk(bDone, 'B did not commit while A (an earlier version) was open')
  const visible = await db.selectFrom('deny_list_changes').select('version').execute()
  t.same(visible, [], 'nothing visible yet: no later version ahead of an uncommitted earlier one')
  releaseA()
  await Promise.all([a, b])
  const rows = await db.selectFrom('deny_list_changes').select(['card_token', 'version']).orderBy('version').execute()
  t.same(
    rows.map((r) => r.card_token),
    ['order-a', 'order-b'],
    'A has the lower version, B the higher',
  )

  // A top-up that restores a card takes the same lock: it waits behind an open ledger writer too.
  let releaseC!: () => void
  const cMayCommit = new Promise<void>((r) => (releaseC = r))
  let cInserted!: () => void
  const cHasVersion = new Promise<void>((r) => (cInserted = r))
  const c = db.transaction().execute(async (trx) => {
    await refreshDenyList(trx, [check('order-c')])
    cInserted()
    await cMayCommit
  })
  await cHasVersion
  let topUpDone = false
  const up = topUp(db, { accountId: accountA, amount: parseAmount('50.00'), idempotencyKey: 'order-a-up' }).then(() => {
    topUpDone = true
  })
  await new Promise((r) => setTimeout(r, 500))
  t.notOk(topUpDone, 'the top-up restore waited for the open writer')
  releaseC()
  await Promise.all([c, up])
  const all = await db.selectFrom('deny_list_changes').select(['card_token', 'action']).orderBy('version').execute()
  t.same(
    all,
    [
      { card_token: 'order-a', action: 'add' },
      { card_token: 'order-b', action: 'add' },
      { card_token: 'order-c', action: 'add' },
      { card_token: 'order-a', action: 'remove' },
    ],
    'versions in commit order',
  )
})
