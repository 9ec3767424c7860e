/**
 * Admin card routes on the real api and Postgres: issue (duplicates 409),
 * category changes, block and unblock with the deny list following, and
 * replacing a lost card (balance moved exactly as one transfer, old card
 * blocked and listed, all or nothing). Every change has its audit row, and
 * ledger:check holds afterwards.
 */

import { AUDIENCE } from '@fare/auth'
import { refreshDenyList, topUp } from '@fare/bookkeeping'
import { moneyFromDb } from '@fare/db'
import { checkInvariants } from '@fare/ledger'
import { parseAmount } from '@fare/money'
import { sql } from 'kysely'
import t from 'tap'
import { code, startAdminApi } from './support.ts'

const api = await startAdminApi()
t.teardown(() => api.close())
const { db } = api.database

const issue = (body: Record<string, unknown>) => api.call('POST', '/v1/cards', body)
const countOf = async (table: 'accounts' | 'transfers' | 'admin_actions' | 'deny_list_changes') =>
  Number((await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table)}`.execute(db)).rows[0]?.n)
const lastChange = async (card: string) =>
  db.selectFrom('deny_list_changes').select(['action', 'reason']).where('card_token', '=', card).orderBy('version', 'desc').executeTakeFirst()
const accountOf = async (card: string) =>
  (await db.selectFrom('cards').select('account_id').where('card_token', '=', card).executeTakeFirstOrThrow()).account_id

t.test('issue a card; the same token again is 409 CARD_EXISTS and changes nothing', async (t) => {
  const res = await issue({ cardToken: 'ct_issue_000001', riderId: 'rider-olena', riderCategoryId: 'pupil', validFrom: '2026-09-01', validTo: '2027-06-30' })
  t.equal(res.statusCode, 201)
  t.match(res.json(), {
    cardToken: 'ct_issue_000001',
    riderId: 'rider-olena',
    riderCategoryId: 'pupil',
    categoryValidFrom: '2026-09-01',
    categoryValidTo: '2027-06-30',
    fareMediaId: null,
    status: 'active',
    denied: false,
    replacedBy: null,
    balance: { amount: '0.00', currency: 'UAH' },
  })
  const audit = await db.selectFrom('admin_actions').selectAll().where('target', '=', 'ct_issue_000001').execute()
  t.match(audit, [{ actor_subject: 'admin-1', actor_role: 'admin', action: 'card.create', transfer_id: null }])

  const accounts = await countOf('accounts')
  const again = await issue({ cardToken: 'ct_issue_000001', riderCategoryId: 'adult' })
  t.equal(again.statusCode, 409)
  t.equal(code(again), 'CARD_EXISTS')
  t.equal(await countOf('accounts'), accounts, 'no account was left behind by the refused card')
  t.equal(
    (await db.selectFrom('cards').select('rider_category_id').where('card_token', '=', 'ct_issue_000001').executeTakeFirstOrThrow()).rider_category_id,
    'pupil',
    'the issued card is unchanged',
  )
})

t.test('bad input is 400 with a stable code, before anything is written', async (t) => {
  const actions = await countOf('admin_actions')
  const cases: [string, unknown, string][] = [
    ['a token too short', { cardToken: 'ct_1', riderCategoryId: 'adult' }, 'REQUEST_INVALID'],
    ['a token too long', { cardToken: `ct_${'x'.repeat(126)}`, riderCategoryId: 'adult' }, 'REQUEST_INVALID'],
    ['a NUL byte', { cardToken: 'ct_nul\u0000_0001', riderCategoryId: 'adult' }, 'REQUEST_INVALID'],
    ['a space in the category', { cardToken: 'ct_bad_000001', riderCategoryId: 'pupil x' }, 'REQUEST_INVALID'],
    ['no category', { cardToken: 'ct_bad_000001' }, 'REQUEST_INVALID'],
    ['an unknown field', { cardToken: 'ct_bad_000001', riderCategoryId: 'adult', balance: '100.00' }, 'REQUEST_INVALID'],
    ['a date not YYYY-MM-DD', { cardToken: 'ct_bad_000001', riderCategoryId: 'pupil', validFrom: '1.9.2026' }, 'REQUEST_INVALID'],
    ['a day that does not exist', { cardToken: 'ct_bad_000001', riderCategoryId: 'pupil', validFrom: '2026-02-30' }, 'CATEGORY_DATES_INVALID'],
    [
      'valid to before valid from',
      { cardToken: 'ct_bad_000001', riderCategoryId: 'pupil', validFrom: '2027-01-01', validTo: '2026-01-01' },
      'CATEGORY_DATES_INVALID',
    ],
    ['a lower-case currency', { cardToken: 'ct_bad_000001', riderCategoryId: 'adult', currency: 'uah' }, 'REQUEST_INVALID'],
  ]
  for (const [name, body, expected] of cases) {
    const res = await issue(body as Record<string, unknown>)
    t.equal(res.statusCode, 400, name)
    t.equal(code(res), expected, name)
  }
  const oversized = await api.call('POST', '/v1/cards', { cardToken: 'ct_bad_000001', riderCategoryId: 'adult', riderId: 'r'.repeat(70_000) })
  t.equal(oversized.statusCode, 413)
  t.equal(code(oversized), 'BODY_TOO_LARGE')
  const reason = await api.call('POST', '/v1/cards/ct_issue_000001/block', { reason: 'x'.repeat(501) })
  t.equal(code(reason), 'REQUEST_INVALID', 'a reason over 500 characters')
  const control = await api.call('POST', '/v1/cards/ct_issue_000001/block', { reason: 'lost\u0007' })
  t.equal(code(control), 'REQUEST_INVALID', 'a control character in a reason')
  t.equal(await countOf('admin_actions'), actions, 'nothing recorded')
  t.equal(await db.selectFrom('cards').select('card_token').where('card_token', '=', 'ct_bad_000001').executeTakeFirst(), undefined)
})

t.test('only admins: 401 without a token, 403 for other roles', async (t) => {
  const routes: ['POST' | 'PUT', string, unknown][] = [
    ['POST', '/v1/cards', { cardToken: 'ct_role_000001', riderCategoryId: 'adult' }],
    ['PUT', '/v1/cards/ct_issue_000001/category', { riderCategoryId: 'adult' }],
    ['POST', '/v1/cards/ct_issue_000001/block', { reason: 'x' }],
    ['POST', '/v1/cards/ct_issue_000001/unblock', { reason: 'x' }],
    ['POST', '/v1/cards/ct_issue_000001/replace', { newCardToken: 'ct_role_000002', reason: 'x' }],
  ]
  for (const [method, url, body] of routes) {
    t.equal((await api.call(method, url, body, {}, null)).statusCode, 401, `${url}: no token`)
    for (const token of [api.issuer.riderToken('rider-olena'), api.issuer.sign({ sub: 'op-1', role: 'operator', operator_id: 'op' }, AUDIENCE.api)]) {
      const res = await api.call(method, url, body, {}, token)
      t.equal(res.statusCode, 403, `${url}: not an admin`)
      t.equal(code(res), 'SCOPE_DENIED')
    }
  }
  t.equal(await db.selectFrom('cards').select('card_token').where('card_token', 'in', ['ct_role_000001', 'ct_role_000002']).executeTakeFirst(), undefined)
})

t.test('change the category', async (t) => {
  const res = await api.call('PUT', '/v1/cards/ct_issue_000001/category', {
    riderCategoryId: 'pensioner',
    validFrom: '2026-12-01',
    validTo: null,
    reason: 'pension certificate',
  })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { riderCategoryId: 'pensioner', categoryValidFrom: '2026-12-01', categoryValidTo: null })
  t.match(await db.selectFrom('admin_actions').selectAll().where('action', '=', 'card.category').execute(), [
    { target: 'ct_issue_000001', reason: 'pension certificate' },
  ])
  const unknown = await api.call('PUT', '/v1/cards/ct_unknown_0001/category', { riderCategoryId: 'adult' })
  t.equal(unknown.statusCode, 404)
  t.equal(code(unknown), 'CARD_NOT_FOUND')
  t.equal(code(await api.call('PUT', '/v1/cards/ct_issue_000001/category', { riderCategoryId: 'adult', validFrom: '2026-13-01' })), 'CATEGORY_DATES_INVALID')
  t.equal(code(await api.call('PUT', '/v1/cards/ct_issue_000001/category', { riderCategoryId: 'adult', validFrom: '01-12-2026' })), 'REQUEST_INVALID')
})

t.test('block and unblock: the deny list follows, with the reason; balance rules never unlist a blocked card', async (t) => {
  await issue({ cardToken: 'ct_block_000001', riderCategoryId: 'adult' })
  const account = await accountOf('ct_block_000001')
  await topUp(db, { accountId: account, amount: parseAmount('20.00'), idempotencyKey: 'block-fund' })

  const blocked = await api.call('POST', '/v1/cards/ct_block_000001/block', { reason: 'reported stolen' })
  t.equal(blocked.statusCode, 200)
  t.match(blocked.json(), { status: 'blocked', denied: true })
  t.same(await lastChange('ct_block_000001'), { action: 'add', reason: 'blocked: reported stolen' })
  const changes = await countOf('deny_list_changes')
  t.equal((await api.call('POST', '/v1/cards/ct_block_000001/block', { reason: 'again' })).statusCode, 200, 'blocking a blocked card is fine')
  t.equal(await countOf('deny_list_changes'), changes, '... and changes nothing')

  // What the ledger and a top-up do for a card whose balance covers a ride: neither may unlist a blocked card.
  await topUp(db, { accountId: account, amount: parseAmount('5.00'), idempotencyKey: 'block-more' })
  await db
    .transaction()
    .execute((trx) => refreshDenyList(trx, [{ cardToken: 'ct_block_000001', maxRideAmount: parseAmount('8.00'), creditAllowance: parseAmount('8.00') }]))
  t.equal((await lastChange('ct_block_000001'))?.action, 'add', 'still listed while blocked')

  const unblocked = await api.call('POST', '/v1/cards/ct_block_000001/unblock', { reason: 'found by the rider' })
  t.match(unblocked.json(), { status: 'active', denied: false })
  t.same(await lastChange('ct_block_000001'), { action: 'remove', reason: 'unblocked: found by the rider' })
  t.match(await db.selectFrom('admin_actions').select(['action', 'reason']).where('target', '=', 'ct_block_000001').orderBy('id').execute(), [
    { action: 'card.create' },
    { action: 'card.block', reason: 'reported stolen' },
    { action: 'card.unblock', reason: 'found by the rider' },
  ])
  t.equal(code(await api.call('POST', '/v1/cards/ct_unknown_0001/block', { reason: 'x' })), 'CARD_NOT_FOUND')
})

t.test('a card unblocked with a debt stays listed until a top-up covers it', async (t) => {
  await issue({ cardToken: 'ct_debt_0000001', riderCategoryId: 'adult' })
  const account = await accountOf('ct_debt_0000001')
  const debit = await api.call(
    'POST',
    `/v1/accounts/${account}/adjustments`,
    { amount: '8.00', currency: 'UAH', direction: 'debit', reason: 'ride taken on credit' },
    { 'idempotency-key': 'debt-1' },
  )
  t.equal(debit.statusCode, 201)
  await api.call('POST', '/v1/cards/ct_debt_0000001/block', { reason: 'lost' })
  const unblocked = await api.call('POST', '/v1/cards/ct_debt_0000001/unblock', { reason: 'found' })
  t.match(unblocked.json(), { status: 'active', denied: true, balance: { amount: '-8.00' } })
  const topped = await api.call('POST', `/v1/accounts/${account}/top-ups`, { amount: '8.00', currency: 'UAH' }, { 'idempotency-key': 'debt-2' })
  t.match(topped.json(), { restored: true, balance: { amount: '0.00' } })
  t.same(await lastChange('ct_debt_0000001'), { action: 'remove', reason: 'top_up' })
})

t.test('replace a lost card: exact balance moved as one transfer, old card blocked and listed', async (t) => {
  await issue({ cardToken: 'ct_lost_0000001', riderId: 'rider-taras', riderCategoryId: 'pupil', validFrom: '2026-09-01', validTo: '2027-06-30' })
  const oldAccount = await accountOf('ct_lost_0000001')
  await topUp(db, { accountId: oldAccount, amount: parseAmount('37.35'), idempotencyKey: 'lost-fund-1' })
  await topUp(db, { accountId: oldAccount, amount: parseAmount('0.01'), idempotencyKey: 'lost-fund-2' })
  const transfers = await countOf('transfers')

  const res = await api.call('POST', '/v1/cards/ct_lost_0000001/replace', { newCardToken: 'ct_new_00000001', reason: 'lost on bus 12' })
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.match(body.old, {
    cardToken: 'ct_lost_0000001',
    status: 'blocked',
    denied: true,
    replacedBy: 'ct_new_00000001',
    balance: { amount: '0.00', currency: 'UAH' },
  })
  t.match(body.replacement, {
    cardToken: 'ct_new_00000001',
    status: 'active',
    denied: false,
    riderId: 'rider-taras',
    riderCategoryId: 'pupil',
    categoryValidFrom: '2026-09-01',
    categoryValidTo: '2027-06-30',
    balance: { amount: '37.36', currency: 'UAH' },
  })
  t.equal(await countOf('transfers'), transfers + 1, 'one transfer')
  const move = await db.selectFrom('transfers').selectAll().where('id', '=', body.transferId).executeTakeFirstOrThrow()
  t.match(move, { kind: 'balance_move', reason: 'card_replaced', debit_account_id: oldAccount, credit_account_id: body.replacement.accountId })
  t.ok(moneyFromDb(move.amount).equals(parseAmount('37.36')), 'the exact balance, as a decimal')
  t.same(await lastChange('ct_lost_0000001'), { action: 'add', reason: 'replaced: lost on bus 12' })
  t.match(await db.selectFrom('admin_actions').select(['action', 'target', 'reason', 'transfer_id']).where('action', '=', 'card.replace').execute(), [
    { target: 'ct_lost_0000001', reason: 'lost on bus 12', transfer_id: body.transferId },
  ])

  const retry = await api.call('POST', '/v1/cards/ct_lost_0000001/replace', { newCardToken: 'ct_new_00000001', reason: 'lost on bus 12' })
  t.equal(retry.statusCode, 200, 'the same replacement again (a lost answer retried)')
  t.same(retry.json(), body, '... answers the same')
  t.equal(await countOf('transfers'), transfers + 1, '... and moves nothing')
  const other = await api.call('POST', '/v1/cards/ct_lost_0000001/replace', { newCardToken: 'ct_new_00000002', reason: 'again' })
  t.equal(other.statusCode, 409)
  t.equal(code(other), 'CARD_REPLACED')
  t.equal(code(await api.call('POST', '/v1/cards/ct_lost_0000001/unblock', { reason: 'x' })), 'CARD_REPLACED', 'a replaced card stays blocked')
})

t.test('a replacement that cannot finish changes nothing; a debt moves and stays denied', async (t) => {
  await issue({ cardToken: 'ct_owed_0000001', riderCategoryId: 'adult' })
  await issue({ cardToken: 'ct_taken_000001', riderCategoryId: 'adult' })
  const account = await accountOf('ct_owed_0000001')
  await api.call(
    'POST',
    `/v1/accounts/${account}/adjustments`,
    { amount: '12.40', currency: 'UAH', direction: 'debit', reason: 'rides on credit' },
    { 'idempotency-key': 'owed-1' },
  )
  await db
    .transaction()
    .execute((trx) => refreshDenyList(trx, [{ cardToken: 'ct_owed_0000001', maxRideAmount: parseAmount('8.00'), creditAllowance: parseAmount('8.00') }]))
  const before = { transfers: await countOf('transfers'), actions: await countOf('admin_actions'), changes: await countOf('deny_list_changes') }

  const taken = await api.call('POST', '/v1/cards/ct_owed_0000001/replace', { newCardToken: 'ct_taken_000001', reason: 'lost' })
  t.equal(taken.statusCode, 409)
  t.equal(code(taken), 'CARD_EXISTS')
  t.same(
    { transfers: await countOf('transfers'), actions: await countOf('admin_actions'), changes: await countOf('deny_list_changes') },
    before,
    'nothing written',
  )
  t.match(await db.selectFrom('cards').select(['status', 'replaced_by']).where('card_token', '=', 'ct_owed_0000001').executeTakeFirst(), {
    status: 'active',
    replaced_by: null,
  })
  t.equal(code(await api.call('POST', '/v1/cards/ct_unknown_0001/replace', { newCardToken: 'ct_new_00000009', reason: 'x' })), 'CARD_NOT_FOUND')
  t.equal(
    code(await api.call('POST', '/v1/cards/ct_owed_0000001/replace', { newCardToken: 'ct_owed_0000001', reason: 'x' })),
    'CARD_EXISTS',
    'a card cannot replace itself',
  )

  const res = await api.call('POST', '/v1/cards/ct_owed_0000001/replace', { newCardToken: 'ct_owed_0000002', reason: 'lost' })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { old: { balance: { amount: '0.00' }, denied: true }, replacement: { balance: { amount: '-12.40' }, denied: true } })
  const move = await db.selectFrom('transfers').selectAll().where('id', '=', res.json().transferId).executeTakeFirstOrThrow()
  t.match(move, { kind: 'balance_move', debit_account_id: res.json().replacement.accountId, credit_account_id: account, amount: '12.40' })
})

t.test('ledger:check holds after all of it', async (t) => {
  t.same(await checkInvariants(db), [])
})
