/**
 * Admin money routes on the real api and Postgres: top-ups, refunds and manual
 * adjustments are new transfers with their audit rows, amounts are exact
 * decimals checked against the account's currency, and the Idempotency-Key
 * holds: a replay answers the first answer (from another api process too),
 * another body is a conflict, no key is 400, and concurrent calls with one
 * key post exactly one transfer (counted in Postgres).
 */

import { AUDIENCE } from '@fare/auth'
import { openCard, refreshDenyList, systemAccountId } from '@fare/bookkeeping'
import { moneyFromDb } from '@fare/db'
import { checkInvariants } from '@fare/ledger'
import { parseAmount } from '@fare/money'
import { sql } from 'kysely'
import t from 'tap'
import { code, startAdminApi } from './support.ts'

const api = await startAdminApi({ idempotencyWaitMs: 500 })
t.teardown(() => api.close())
const { db } = api.database

const open = (card: string) => db.transaction().execute((trx) => openCard(trx, { cardToken: card, currency: 'UAH' }))
const transfersTo = async (account: string) =>
  Number(
    (
      await sql<{
        n: string
      }>`select count(*)::text as n from transfers where credit_account_id = ${account}::bigint or debit_account_id = ${account}::bigint`.execute(db)
    ).rows[0]?.n,
  )
const balanceOf = async (account: string) =>
  moneyFromDb((await db.selectFrom('accounts').select('balance').where('id', '=', account).executeTakeFirstOrThrow()).balance)
const topUp = (account: string, body: unknown, key?: string, token?: string) =>
  api.call('POST', `/v1/accounts/${account}/top-ups`, body, key === undefined ? {} : { 'idempotency-key': key }, token)

t.test('a top-up: 201, one transfer, the balance, the audit row', async (t) => {
  const account = await open('ct_money_000001')
  const res = await topUp(account, { amount: '50.25', currency: 'UAH' }, 'tu-1')
  t.equal(res.statusCode, 201)
  const body = res.json()
  t.match(body, {
    accountId: account,
    cardToken: 'ct_money_000001',
    kind: 'top_up',
    amount: { amount: '50.25', currency: 'UAH' },
    balance: { amount: '50.25', currency: 'UAH' },
    restored: false,
  })
  t.equal(res.headers['idempotent-replayed'], undefined)
  t.equal(await transfersTo(account), 1)
  t.ok((await balanceOf(account)).equals(parseAmount('50.25')))
  t.match(await db.selectFrom('admin_actions').selectAll().where('transfer_id', '=', body.transferId).execute(), [
    { actor_subject: 'admin-1', actor_role: 'admin', action: 'account.top_up', target: account, reason: null },
  ])
})

t.test('Idempotency-Key: replay, conflict, missing, per caller, across api processes', async (t) => {
  const account = await open('ct_money_000002')
  const first = await topUp(account, { amount: '10.00', currency: 'UAH' }, 'key-A')
  t.equal(first.statusCode, 201)
  const replay = await topUp(account, { currency: 'UAH', amount: '10.00' }, 'key-A')
  t.equal(replay.statusCode, 201, 'the same key and body (fields in another order)')
  t.same(replay.json(), first.json(), '... answer the first answer')
  t.equal(replay.headers['idempotent-replayed'], 'true')
  t.equal(await transfersTo(account), 1, '... without a second transfer')

  const restarted = await api.another()
  const elsewhere = await restarted.inject({
    method: 'POST',
    url: `/v1/accounts/${account}/top-ups`,
    headers: { authorization: `Bearer ${api.issuer.adminToken()}`, 'content-type': 'application/json', 'idempotency-key': 'key-A' },
    payload: { amount: '10.00', currency: 'UAH' },
  })
  t.same(elsewhere.json(), first.json(), 'another api process (or one restarted) answers the same')

  for (const [name, url, body] of [
    ['another amount', `/v1/accounts/${account}/top-ups`, { amount: '10.01', currency: 'UAH' }],
    ['another route', `/v1/accounts/${account}/refunds`, { amount: '10.00', currency: 'UAH', reason: 'x' }],
  ] as const) {
    const res = await api.call('POST', url, body, { 'idempotency-key': 'key-A' })
    t.equal(res.statusCode, 409, name)
    t.equal(code(res), 'IDEMPOTENCY_CONFLICT', name)
  }
  const otherAccount = await open('ct_money_000003')
  t.equal(code(await topUp(otherAccount, { amount: '10.00', currency: 'UAH' }, 'key-A')), 'IDEMPOTENCY_CONFLICT', 'another account')
  t.equal(await transfersTo(otherAccount), 0)

  const missing = await topUp(account, { amount: '10.00', currency: 'UAH' })
  t.equal(missing.statusCode, 400)
  t.equal(code(missing), 'IDEMPOTENCY_KEY_REQUIRED')
  for (const bad of ['has space', 'x'.repeat(129), 'ключ'])
    t.equal(code(await topUp(account, { amount: '1.00', currency: 'UAH' }, bad)), 'REQUEST_INVALID', `key ${bad.slice(0, 10)}`)

  const otherAdmin = api.issuer.sign({ sub: 'admin-2', role: 'admin' }, AUDIENCE.api)
  const theirs = await topUp(account, { amount: '10.00', currency: 'UAH' }, 'key-A', otherAdmin)
  t.equal(theirs.statusCode, 201, "keys are the caller's own: another admin's key-A is another request")
  t.not(theirs.json().transferId, first.json().transferId)
  t.equal(theirs.headers['idempotent-replayed'], undefined)
  t.equal(await transfersTo(account), 2)
})

t.test('concurrent calls with one key post exactly one transfer and all answer it', async (t) => {
  const account = await open('ct_money_000004')
  const answers = await Promise.all(Array.from({ length: 6 }, () => topUp(account, { amount: '7.77', currency: 'UAH' }, 'race-1')))
  for (const res of answers) t.equal(res.statusCode, 201)
  t.equal(new Set(answers.map((r) => r.json().transferId)).size, 1, 'one transfer id in every answer')
  t.equal(await transfersTo(account), 1, 'one transfer in Postgres')
  t.equal(answers.filter((r) => r.headers['idempotent-replayed'] === 'true').length, 5)
  t.ok((await balanceOf(account)).equals(parseAmount('7.77')))
})

t.test('a repeat while the first is still running waits, then gets 409 IDEMPOTENCY_IN_PROGRESS', async (t) => {
  const account = await open('ct_money_000005')
  let release!: () => void
  const held = new Promise<void>((resolve) => (release = resolve))
  let claimed!: () => void
  const isClaimed = new Promise<void>((resolve) => (claimed = resolve))
  // A first attempt that has claimed the key and not committed (as a slow first request would have).
  const first = db.transaction().execute(async (trx) => {
    await trx.insertInto('idempotency_records').values({ caller: 'admin:admin-1', key: 'slow-1', request_hash: 'h' }).execute()
    claimed()
    await held
    throw new Error('rolled back on purpose')
  })
  await isClaimed
  const started = Date.now()
  const res = await topUp(account, { amount: '5.00', currency: 'UAH' }, 'slow-1')
  t.equal(res.statusCode, 409)
  t.equal(code(res), 'IDEMPOTENCY_IN_PROGRESS')
  t.ok(Date.now() - started >= 400, 'it waited for the first before giving up')
  release()
  await t.rejects(first)
  const retry = await topUp(account, { amount: '5.00', currency: 'UAH' }, 'slow-1')
  t.equal(retry.statusCode, 201, 'once the first is gone (rolled back), the key is free')
  t.equal(await transfersTo(account), 1)
})

t.test('amounts are exact positive decimals of the account currency; refusals write nothing and free the key', async (t) => {
  const account = await open('ct_money_000006')
  const cases: [string, unknown, number, string][] = [
    ['zero', { amount: '0', currency: 'UAH' }, 400, 'AMOUNT_INVALID'],
    ['zero with decimals', { amount: '0.00', currency: 'UAH' }, 400, 'AMOUNT_INVALID'],
    ['three decimals in UAH', { amount: '1.005', currency: 'UAH' }, 400, 'AMOUNT_INVALID'],
    ['negative', { amount: '-5.00', currency: 'UAH' }, 400, 'REQUEST_INVALID'],
    ['an exponent', { amount: '1e3', currency: 'UAH' }, 400, 'REQUEST_INVALID'],
    ['a JSON number', { amount: 5, currency: 'UAH' }, 400, 'REQUEST_INVALID'],
    ['a comma', { amount: '5,00', currency: 'UAH' }, 400, 'REQUEST_INVALID'],
    ['too many digits', { amount: '1'.repeat(16), currency: 'UAH' }, 400, 'REQUEST_INVALID'],
    ['no currency', { amount: '5.00' }, 400, 'REQUEST_INVALID'],
    ['another currency', { amount: '5.00', currency: 'USD' }, 400, 'CURRENCY_MISMATCH'],
    ['an unknown field', { amount: '5.00', currency: 'UAH', note: 'x' }, 400, 'REQUEST_INVALID'],
    ['not JSON', '{"amount": ', 400, 'REQUEST_INVALID'],
  ]
  for (const [name, body, status, expected] of cases) {
    const res = await topUp(account, body, `bad-${name.replaceAll(' ', '-')}`)
    t.equal(res.statusCode, status, name)
    t.equal(code(res), expected, name)
  }
  t.equal(await transfersTo(account), 0, 'no transfer')
  t.equal(
    Number((await sql<{ n: string }>`select count(*)::text as n from idempotency_records where key like 'bad-%'`.execute(db)).rows[0]?.n),
    0,
    'no key was used up',
  )
  t.equal((await topUp(account, { amount: '5.00', currency: 'UAH' }, 'bad-zero')).statusCode, 201, 'a refused key can be used for the corrected request')

  const oversized = await topUp(account, { amount: '5.00', currency: 'UAH', pad: 'x'.repeat(70_000) }, 'big')
  t.equal(oversized.statusCode, 413)
  t.equal(code(oversized), 'BODY_TOO_LARGE')

  const unknown = await topUp('987654321', { amount: '5.00', currency: 'UAH' }, 'unknown-1')
  t.equal(unknown.statusCode, 404)
  t.equal(code(unknown), 'ACCOUNT_NOT_FOUND')
  const clearing = await systemAccountId(db, 'top_up_clearing', 'UAH')
  t.equal(code(await topUp(clearing, { amount: '5.00', currency: 'UAH' }, 'system-1')), 'ACCOUNT_NOT_FOUND', 'a system account is not a rider account')
  for (const id of ['abc', '0', '-1', '1'.repeat(20)])
    t.equal(code(await topUp(id, { amount: '5.00', currency: 'UAH' }, `id-${id}`)), 'REQUEST_INVALID', `account id ${id}`)
})

t.test('only admins: 401 without a token, 403 for riders, operators and devices', async (t) => {
  const account = await open('ct_money_000007')
  for (const path of ['top-ups', 'refunds', 'adjustments']) {
    const url = `/v1/accounts/${account}/${path}`
    const body = { amount: '5.00', currency: 'UAH', reason: 'x', direction: 'credit' }
    t.equal((await api.call('POST', url, body, { 'idempotency-key': 'role-1' }, null)).statusCode, 401, `${path}: no token`)
    for (const token of [
      api.issuer.riderToken('rider-1'),
      api.issuer.sign({ sub: 'op-1', role: 'operator', operator_id: 'op' }, AUDIENCE.api),
      api.issuer.sign({ sub: 'kiosk-1', role: 'device', operator_id: 'op', scope: 'balance:read' }, AUDIENCE.api),
    ]) {
      const res = await api.call('POST', url, body, { 'idempotency-key': 'role-1' }, token)
      t.equal(res.statusCode, 403, `${path}: not an admin`)
      t.equal(code(res), 'SCOPE_DENIED')
    }
  }
  t.equal(await transfersTo(account), 0)
})

t.test('a top-up that clears a negative balance takes the card off the deny list', async (t) => {
  const account = await open('ct_money_000008')
  const debit = await api.call(
    'POST',
    `/v1/accounts/${account}/adjustments`,
    { amount: '8.00', currency: 'UAH', direction: 'debit', reason: 'ride on credit' },
    { 'idempotency-key': 'neg-1' },
  )
  t.equal(debit.statusCode, 201)
  // What the ledger does after the charge that took the card below zero.
  await db
    .transaction()
    .execute((trx) => refreshDenyList(trx, [{ cardToken: 'ct_money_000008', maxRideAmount: parseAmount('8.00'), creditAllowance: parseAmount('8.00') }]))
  const listed = () => db.selectFrom('deny_list').select('card_token').where('card_token', '=', 'ct_money_000008').executeTakeFirst()
  t.ok(await listed(), 'denied at -8.00')

  const part = await topUp(account, { amount: '5.00', currency: 'UAH' }, 'neg-2')
  t.match(part.json(), { balance: { amount: '-3.00' }, restored: false })
  t.ok(await listed(), 'still denied at -3.00')
  const rest = await topUp(account, { amount: '3.00', currency: 'UAH' }, 'neg-3')
  t.match(rest.json(), { balance: { amount: '0.00' }, restored: true })
  t.notOk(await listed(), 'off the list at 0.00')
  t.match(await db.selectFrom('deny_list_changes').select(['action', 'reason']).where('card_token', '=', 'ct_money_000008').orderBy('version').execute(), [
    { action: 'add', reason: 'balance' },
    { action: 'remove', reason: 'top_up' },
  ])
})

t.test('refunds and adjustments: new transfers with the reason on record', async (t) => {
  const account = await open('ct_money_000009')
  await topUp(account, { amount: '10.00', currency: 'UAH' }, 'ra-1')
  const refund = await api.call(
    'POST',
    `/v1/accounts/${account}/refunds`,
    { amount: '4.50', currency: 'UAH', reason: 'card returned, paid in cash' },
    { 'idempotency-key': 'ra-2' },
  )
  t.equal(refund.statusCode, 201)
  t.match(refund.json(), { kind: 'refund', amount: { amount: '4.50' }, balance: { amount: '5.50' } })
  const replay = await api.call(
    'POST',
    `/v1/accounts/${account}/refunds`,
    { amount: '4.50', currency: 'UAH', reason: 'card returned, paid in cash' },
    { 'idempotency-key': 'ra-2' },
  )
  t.same(replay.json(), refund.json(), 'a refund replays like a top-up')
  const tooMuch = await api.call('POST', `/v1/accounts/${account}/refunds`, { amount: '5.51', currency: 'UAH', reason: 'x' }, { 'idempotency-key': 'ra-3' })
  t.equal(tooMuch.statusCode, 409)
  t.equal(code(tooMuch), 'INSUFFICIENT_BALANCE')
  t.equal(
    code(await api.call('POST', `/v1/accounts/${account}/refunds`, { amount: '1.00', currency: 'UAH' }, { 'idempotency-key': 'ra-4' })),
    'REQUEST_INVALID',
    'a refund needs a reason',
  )

  const credit = await api.call(
    'POST',
    `/v1/accounts/${account}/adjustments`,
    { amount: '0.01', currency: 'UAH', direction: 'credit', reason: 'rounding complaint (ticket 7)' },
    { 'idempotency-key': 'ra-5' },
  )
  t.match(credit.json(), { kind: 'manual_adjustment', balance: { amount: '5.51' } })
  t.equal(
    code(
      await api.call(
        'POST',
        `/v1/accounts/${account}/adjustments`,
        { amount: '1.00', currency: 'UAH', direction: 'sideways', reason: 'x' },
        { 'idempotency-key': 'ra-6' },
      ),
    ),
    'REQUEST_INVALID',
  )

  const kinds = await db
    .selectFrom('transfers')
    .select(['id', 'kind', 'amount'])
    .where((eb) => eb.or([eb('credit_account_id', '=', account), eb('debit_account_id', '=', account)]))
    .orderBy('created_at')
    .execute()
  t.same(
    kinds.map((k) => [k.kind, k.amount]),
    [
      ['top_up', '10.00'],
      ['refund', '4.50'],
      ['manual_adjustment', '0.01'],
    ],
  )
  t.match(await db.selectFrom('admin_actions').select(['action', 'reason', 'transfer_id']).where('target', '=', account).orderBy('id').execute(), [
    { action: 'account.top_up', reason: null, transfer_id: kinds[0]?.id },
    { action: 'account.refund', reason: 'card returned, paid in cash', transfer_id: kinds[1]?.id },
    { action: 'account.adjustment', reason: 'rounding complaint (ticket 7)', transfer_id: kinds[2]?.id },
  ])
  t.ok((await balanceOf(account)).equals(parseAmount('5.51')))
})

t.test('ledger:check holds after all of it, the audit invariant included', async (t) => {
  t.same(await checkInvariants(db), [])
})
