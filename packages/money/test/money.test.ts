/**
 * Splitting one amount across operators must never create or lose a kopeck:
 * the property below checks that the shares always sum to the amount.
 */

import fc from 'fast-check'
import t from 'tap'
import { Decimal, formatAmount, parseAmount, splitProRata } from '../src/index.ts'

t.test('formats with the currency minor unit', async (t) => {
  t.equal(formatAmount(parseAmount('3'), 'USD'), '3.00')
  t.equal(formatAmount(parseAmount('2.5'), 'UAH'), '2.50')
  t.equal(formatAmount(parseAmount('2.345'), 'UAH'), '2.34', 'half-even')
  t.equal(formatAmount(parseAmount('100'), 'JPY'), '100')
  t.throws(() => parseAmount('1e3'))
  t.throws(() => parseAmount(''))
})

t.test('splits pro rata with the remainder to the largest share', async (t) => {
  const split = splitProRata(new Decimal('10.00'), 'UAH', [
    { key: 'op-b', weight: new Decimal('1') },
    { key: 'op-a', weight: new Decimal('1') },
    { key: 'op-c', weight: new Decimal('1') },
  ])
  t.same(Object.fromEntries([...split].map(([k, v]) => [k, v.toFixed(2)])), { 'op-a': '3.34', 'op-b': '3.33', 'op-c': '3.33' })
})

t.test('property: shares always sum to the amount', async (t) => {
  const cents = fc.bigInt({ min: -1_000_000n, max: 1_000_000n })
  fc.assert(
    fc.property(cents, fc.array(fc.bigInt({ min: 0n, max: 100_000n }), { minLength: 1, maxLength: 6 }), (amountCents, weights) => {
      const amount = new Decimal(amountCents.toString()).dividedBy(100)
      const shares = weights.map((w, i) => ({ key: `op-${i}`, weight: new Decimal(w.toString()).dividedBy(100) }))
      const split = splitProRata(amount, 'UAH', shares)
      let total = new Decimal(0)
      for (const v of split.values()) total = total.plus(v)
      return total.equals(amount)
    }),
  )
  t.pass('no counterexample')
})
