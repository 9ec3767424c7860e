/**
 * The tariff change at midnight: the demo tariff until the simulated midnight,
 * then the same tariff with dearer single fares (transfers and caps as
 * before). Each version is published only where the version in force is not
 * already the one wanted, so running the same day again publishes nothing.
 *
 * Tariff versions are global to a database: a run whose window overlaps an
 * earlier run's (another --from-hour the same day) can change the tariff
 * those earlier taps rate with. docs/simulator.md says so.
 */
import path from 'node:path'
import type { Db } from '@fare/db'
import { type FeedFiles, feedDigest, readFeedFolder, saveTariffVersion } from '@fare/tariffs'
import { REPO_ROOT } from '../repo-root.ts'

/** The demo tariff's single fares, each raised; the zero fares of pensioners and veterans stay zero. */
const NEW_FARE_PRODUCTS = `fare_product_id,fare_product_name,rider_category_id,amount,currency
bus-single,Bus single fare,adult,20.00,UAH
bus-single,Bus single fare,pupil,10.00,UAH
bus-single,Bus single fare,student,10.00,UAH
bus-single,Bus single fare,pensioner,0.00,UAH
bus-single,Bus single fare,veteran,0.00,UAH
trolleybus-single,Trolleybus single fare,adult,17.00,UAH
trolleybus-single,Trolleybus single fare,pupil,8.50,UAH
trolleybus-single,Trolleybus single fare,student,8.50,UAH
trolleybus-single,Trolleybus single fare,pensioner,0.00,UAH
trolleybus-single,Trolleybus single fare,veteran,0.00,UAH
transfer-60,Transfer between bus and trolleybus within 60 minutes,adult,5.00,UAH
transfer-60,Transfer between bus and trolleybus within 60 minutes,pupil,2.50,UAH
transfer-60,Transfer between bus and trolleybus within 60 minutes,student,2.50,UAH
transfer-60,Transfer between bus and trolleybus within 60 minutes,pensioner,0.00,UAH
transfer-60,Transfer between bus and trolleybus within 60 minutes,veteran,0.00,UAH
`

export function demoTariffFiles(): FeedFiles {
  return readFeedFolder(path.join(REPO_ROOT, 'infra/demo-tariff'))
}

export function newFaresFiles(): FeedFiles {
  return { ...demoTariffFiles(), 'fare_products.txt': NEW_FARE_PRODUCTS }
}

/** The instant as RFC 3339 with its offset (UTC), as saveTariffVersion takes it. */
const instant = (ms: number) => new Date(ms).toISOString()

/** Puts `files` in force from `atMs` unless they already are; true if a version was published. */
export async function ensureTariffAt(db: Db, atMs: number, name: string, files: FeedFiles): Promise<boolean> {
  const inForce = await db
    .selectFrom('tariff_versions')
    .select('sha256')
    .where('effective_from', '<=', new Date(atMs))
    .orderBy('effective_from', 'desc')
    .limit(1)
    .executeTakeFirst()
  if (inForce?.sha256 === feedDigest(files)) return false
  await saveTariffVersion(db, { name, effectiveFrom: instant(atMs), files })
  return true
}
