/**
 * The walking skeleton, end to end over HTTP on the real broker and database:
 * validators post taps (with duplicate tap ids inside batches and whole
 * batches sent twice), the ledger settles them, and every balance read back
 * through the api is exactly what the taps cost, each tap charged once.
 */

import { ensureOperator, openCard, topUp } from '@fare/bookkeeping'
import { newTapId } from '@fare/contracts'
import { moneyFromDb } from '@fare/db'
import { loadFeed, rate } from '@fare/fares'
import { type Decimal, parseAmount, ZERO } from '@fare/money'
import t from 'tap'
import { DEMO_TARIFF_FOLDER, startTestStack, waitFor } from '../support/stack.ts'

const OPENING = parseAmount('1000.00')

t.test('taps posted over HTTP end in exact balances through the api', async (t) => {
  const stack = await startTestStack('e2e')
  t.teardown(() => stack.close())
  const { db } = stack.database

  const cards = Array.from({ length: 8 }, (_, i) => `ct_e2e_card_${String(i).padStart(4, '0')}`)
  await ensureOperator(db, 'op-bus', 'Bus operator')
  for (const card of cards) {
    const accountId = await db.transaction().execute((trx) => openCard(trx, { cardToken: card, currency: 'UAH' }))
    await topUp(db, { accountId, amount: OPENING, idempotencyKey: `opening:${card}` })
  }

  // 150 distinct taps on the demo tariff's bus 10: mostly entries, some exits
  // (charged 0 on a tap-on-only network), all within the last hour.
  const start = Date.now() - 3_600_000
  const taps = Array.from({ length: 150 }, (_, i) => ({
    tapId: newTapId(),
    cardToken: cards[i % cards.length] as string,
    kind: i % 10 === 9 ? 'exit' : 'entry',
    tappedAt: new Date(start + i * 20_000).toISOString(),
    routeId: 'bus-10',
    stopId: `S${(i % 12) + 1}`,
    deviceSeq: i,
  }))
  const token = stack.issuer.deviceToken('validator-1', 'op-bus')
  const post = async (batch: unknown[]) => {
    const res = await fetch(`${stack.ingestUrl}/v1/taps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ taps: batch }),
    })
    t.equal(res.status, 200)
    const body = (await res.json()) as { results: { tapId: string; status: string }[] }
    t.same(
      body.results.map((r) => r.status),
      batch.map(() => 'accepted'),
      'every tap accepted, in request order',
    )
    t.same(
      body.results.map((r) => r.tapId),
      batch.map((b) => (b as { tapId: string }).tapId),
    )
  }

  for (let i = 0; i < taps.length; i += 25) {
    const batch = taps.slice(i, i + 25)
    await post([...batch, batch[0], batch[1]]) // duplicate tap ids inside one request
    if (i % 50 === 0) await post(batch) // the same batch re-sent, as a validator does after a timeout
  }

  // What the pure fare engine charges each card for its taps, rated in one go (caps included).
  const tariff = loadFeed(DEMO_TARIFF_FOLDER)
  const expected = new Map<string, Decimal>()
  const expectedByTap = new Map<string, Decimal>()
  for (const card of cards) {
    const mine = taps.filter((x) => x.cardToken === card)
    const rating = rate(
      tariff,
      { riderCategoryId: 'adult' },
      mine.map((x) => ({ tapId: x.tapId, kind: x.kind as 'entry' | 'exit', routeId: x.routeId, stopId: x.stopId, deviceId: 'validator-1', time: x.tappedAt })),
    )
    expected.set(card, OPENING.minus(rating.total))
    for (const charge of rating.charges) expectedByTap.set(charge.tapId, charge.amount)
  }

  await waitFor('all taps recorded', async () => {
    const row = await db
      .selectFrom('taps')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow()
    return row.n === String(taps.length)
  })
  // Give redelivered or late duplicates a moment to (not) change anything, then assert.
  await new Promise((r) => setTimeout(r, 500))

  const admin = stack.issuer.adminToken()
  for (const card of cards) {
    const res = await fetch(`${stack.apiUrl}/v1/cards/${card}/balance`, { headers: { authorization: `Bearer ${admin}` } })
    t.equal(res.status, 200)
    const body = (await res.json()) as { balance: { amount: string; currency: string } }
    t.same(body.balance, { amount: (expected.get(card) as Decimal).toFixed(2), currency: 'UAH' }, `balance of ${card}`)
  }

  const fares = await db.selectFrom('transfers').select(['tap_id', 'amount']).where('kind', 'in', ['fare', 'fare_adjustment']).execute()
  t.equal(new Set(fares.map((f) => f.tap_id)).size, fares.length, 'no tap charged twice')
  const chargedTaps = [...expectedByTap].filter(([, amount]) => !amount.isZero())
  t.ok(chargedTaps.length > 0 && chargedTaps.length < taps.length, 'some taps cost money, exits and capped rides do not')
  t.equal(fares.length, chargedTaps.length, 'one fare transfer per tap the engine charges')
  for (const f of fares)
    t.ok(moneyFromDb(f.amount).equals(expectedByTap.get(f.tap_id ?? '') ?? parseAmount('-1')), `tap ${f.tap_id} charged what the engine says`)

  const sums = await db
    .selectFrom('accounts')
    .leftJoin('transfers as c', 'c.credit_account_id', 'accounts.id')
    .select(['accounts.id', 'accounts.balance'])
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('c.amount'), eb.val('0')).as('credits'))
    .groupBy(['accounts.id', 'accounts.balance'])
    .execute()
  const debits = await db
    .selectFrom('transfers')
    .select(['debit_account_id'])
    .select((eb) => eb.fn.sum<string>('amount').as('debits'))
    .groupBy('debit_account_id')
    .execute()
  const debitBy = new Map(debits.map((d) => [d.debit_account_id, moneyFromDb(d.debits)]))
  let total = ZERO
  for (const account of sums) {
    const derived = moneyFromDb(account.credits).minus(debitBy.get(account.id) ?? ZERO)
    t.ok(derived.equals(moneyFromDb(account.balance)), `cached balance of account ${account.id} equals the sum of its transfers`)
    total = total.plus(account.balance)
  }
  t.ok(total.isZero(), 'all balances sum to zero: every transfer balances')
})
