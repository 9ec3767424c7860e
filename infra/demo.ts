/**
 * The demo city: two operators (Lutsk's buses and trolleybuses), a device per
 * operator, and a few cards with money on them. Seeding is idempotent (top-ups
 * carry fixed idempotency keys), so `pnpm start` can run it every time.
 */
import path from 'node:path'
import { ensureOperator, openCard, topUp } from '@fare/bookkeeping'
import type { Db } from '@fare/db'
import { parseAmount } from '@fare/money'
import { readFeedFolder, saveTariffVersion } from '@fare/tariffs'
import { devDeviceKeys } from './dev-auth.ts'
import { REPO_ROOT } from './repo-root.ts'

export const DEMO_CURRENCY = 'UAH'
export const DEMO_OPERATORS = [
  { id: 'lutsk-bus', name: 'Lutsk bus operator' },
  { id: 'lutsk-trolley', name: 'Lutsk trolleybus operator' },
] as const
export const DEMO_DEVICES = [
  { id: 'validator-bus-10-01', operatorId: 'lutsk-bus', routeId: 'bus-10', stopId: 'S1' },
  { id: 'validator-trolley-4-01', operatorId: 'lutsk-trolley', routeId: 'trolley-4', stopId: 'S3' },
] as const
export const DEMO_CARDS = [
  { cardToken: 'ct_demo_adult_0001', riderCategoryId: 'adult', riderId: 'rider-olena', topUp: '200.00' },
  { cardToken: 'ct_demo_adult_0002', riderCategoryId: 'adult', riderId: 'rider-taras', topUp: '50.00' },
  { cardToken: 'ct_demo_pupil_0003', riderCategoryId: 'pupil', riderId: 'rider-marta', topUp: '100.00' },
  { cardToken: 'ct_demo_pension_0004', riderCategoryId: 'pensioner', riderId: 'rider-ivan', topUp: '10.00' },
] as const

/** The demo tariff (infra/demo-tariff), in force from this instant; the ledger rates every tap with it. */
export const DEMO_TARIFF_EFFECTIVE_FROM = '2026-01-01T00:00:00+02:00'

/** Stores the demo tariff as a tariff version, idempotently (same instant, same files: a no-op). */
export async function seedDemoTariff(db: Db): Promise<string> {
  return saveTariffVersion(db, {
    name: 'Lutsk demo tariff',
    effectiveFrom: DEMO_TARIFF_EFFECTIVE_FROM,
    files: readFeedFolder(path.join(REPO_ROOT, 'infra/demo-tariff')),
  })
}

export async function seedDemo(db: Db): Promise<void> {
  await seedDemoTariff(db)
  for (const op of DEMO_OPERATORS) await ensureOperator(db, op.id, op.name)
  // Real registered devices: each key pair lives in .cache/dev-keys; a key made anew (a wiped cache) replaces the old one.
  for (const device of DEMO_DEVICES) {
    const { publicKeyPem } = devDeviceKeys(device.id)
    await db
      .insertInto('devices')
      .values({ id: device.id, operator_id: device.operatorId, public_key_pem: publicKeyPem })
      .onConflict((oc) => oc.column('id').doUpdateSet({ public_key_pem: publicKeyPem, status: 'active', revoked_at: null }))
      .execute()
  }
  for (const card of DEMO_CARDS) {
    const accountId = await db
      .transaction()
      .execute((trx) => openCard(trx, { cardToken: card.cardToken, currency: DEMO_CURRENCY, riderCategoryId: card.riderCategoryId, riderId: card.riderId }))
    await topUp(db, { accountId, amount: parseAmount(card.topUp), idempotencyKey: `demo-seed:${card.cardToken}` })
  }
}
