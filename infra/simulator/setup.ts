/**
 * Puts the simulated city into the stack's database, the way infra/demo.ts
 * seeds the demo: the operators, a registered device (with a key pair made
 * here) per validator, and every card opened and topped up. Idempotent per
 * run tag: top-ups carry fixed idempotency keys.
 */
import { generateDeviceKeyPair } from '@fare/auth'
import { ensureOperator, openCard, topUp } from '@fare/bookkeeping'
import type { Db } from '@fare/db'
import type { City } from './city.ts'

const OPERATOR_NAMES: Record<string, string> = { 'lutsk-bus': 'Lutsk bus operator', 'lutsk-trolley': 'Lutsk trolleybus operator' }

/** Registers the city's validators and opens its cards; returns each device's private key. */
export async function setUpCity(db: Db, city: City, currency: string): Promise<Map<string, string>> {
  for (const id of city.operatorIds) await ensureOperator(db, id, OPERATOR_NAMES[id] ?? id)
  const privateKeys = new Map<string, string>()
  for (const validator of city.validators) {
    const keys = generateDeviceKeyPair()
    await db
      .insertInto('devices')
      .values({ id: validator.deviceId, operator_id: validator.operatorId, public_key_pem: keys.publicKeyPem })
      .onConflict((oc) => oc.column('id').doUpdateSet({ public_key_pem: keys.publicKeyPem, status: 'active', revoked_at: null }))
      .execute()
    privateKeys.set(validator.deviceId, keys.privateKeyPem)
  }
  for (const card of city.cards) {
    const accountId = await db
      .transaction()
      .execute((trx) => openCard(trx, { cardToken: card.cardToken, currency, riderCategoryId: card.riderCategoryId, riderId: `rider-${card.cardToken}` }))
    await topUp(db, { accountId, amount: card.topUp, idempotencyKey: `simulate:${card.cardToken}` })
  }
  return privateKeys
}
