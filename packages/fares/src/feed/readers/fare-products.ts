/**
 * fare_products.txt: the product rows per product id (one per rider category
 * and medium), all in the one currency the engine prices per feed.
 */
import { feedInvalid } from '../../errors.ts'
import type { FareMedium, ProductRow, RiderCategory } from '../../model.ts'
import { field } from '../csv.ts'
import type { FeedReader } from '../feed-reader.ts'
import { amount, reference, required, unique } from '../fields.ts'

const FILE = 'fare_products.txt'

export interface FareProducts {
  readonly products: ReadonlyMap<string, readonly ProductRow[]>
  readonly currency: string
  readonly defaultRiderCategoryIds: ReadonlySet<string>
}

export function readFareProducts(
  feed: FeedReader,
  riderCategories: ReadonlyMap<string, RiderCategory>,
  fareMedia: ReadonlyMap<string, FareMedium>,
): FareProducts {
  const products = new Map<string, ProductRow[]>()
  const productKeys = new Set<string>()
  let currency: string | undefined
  for (const row of feed.rows(FILE, true, ['fare_product_id', 'amount', 'currency'])) {
    const productId = required(FILE, row, 'fare_product_id')
    const riderCategoryId = reference(FILE, row, 'rider_category_id', riderCategories, 'rider category')
    const fareMediaId = reference(FILE, row, 'fare_media_id', fareMedia, 'fare medium')
    unique(FILE, row, 'fare_product_id', `${productId}\u0000${riderCategoryId ?? ''}\u0000${fareMediaId ?? ''}`, productKeys)
    const rowAmount = amount(FILE, row)
    const rowCurrency = required(FILE, row, 'currency')
    if (!/^[A-Z]{3}$/.test(rowCurrency)) throw feedInvalid(FILE, row.line, 'currency', `not an ISO 4217 code: ${JSON.stringify(rowCurrency)}`)
    currency ??= rowCurrency
    if (rowCurrency !== currency) throw feedInvalid(FILE, row.line, 'currency', `the engine prices one currency per feed (${currency})`)
    const list = products.get(productId) ?? []
    list.push({
      productId,
      productName: field(row, 'fare_product_name'),
      riderCategoryId,
      fareMediaId,
      amount: rowAmount,
      currency: rowCurrency,
      line: row.line,
    })
    products.set(productId, list)
  }
  if (currency === undefined) throw feedInvalid(FILE, 1, 'fare_product_id', 'the file has no product')
  const defaultRiderCategoryIds = new Set([...riderCategories.values()].filter((c) => c.isDefault).map((c) => c.riderCategoryId))
  checkOneDefaultCategory(products, defaultRiderCategoryIds)
  return { products, currency, defaultRiderCategoryIds }
}

/** A product may not name two default rider categories: which would a rider without a category pay? */
function checkOneDefaultCategory(products: ReadonlyMap<string, readonly ProductRow[]>, defaultRiderCategoryIds: ReadonlySet<string>): void {
  const isDefault = (id: string | undefined): id is string => id !== undefined && defaultRiderCategoryIds.has(id)
  for (const [productId, rows] of products) {
    const defaults = new Set(rows.map((r) => r.riderCategoryId).filter(isDefault))
    if (defaults.size > 1) {
      const row = rows.find((r) => isDefault(r.riderCategoryId))
      throw feedInvalid(FILE, row?.line ?? 1, 'rider_category_id', `product ${JSON.stringify(productId)} has more than one default rider category`)
    }
  }
}
