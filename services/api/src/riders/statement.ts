/**
 * A card's monthly statement: the balance at the start of the month, every
 * transfer on the card's account posted in the month (top-ups, fares,
 * adjustments, refunds), and the balance at its end. Months are calendar
 * months in the agency's time zone. Read in one snapshot from the transfers
 * themselves, so closing = opening + the lines, to the kopiyka, and opening is
 * what the ledger held when the month began.
 */

import { type AccountEntry, balanceBefore, entriesBetween } from '@fare/bookkeeping'
import type { Db, TransferKind } from '@fare/db'
import { dayNumberOf, formatInstant } from '@fare/fares'
import type { Decimal } from '@fare/money'
import { type TariffBook, timeZoneAt } from '@fare/tariffs'
import { dayStartMs } from './local-days.ts'

export interface StatementLine {
  readonly transferId: string
  readonly postedAt: string
  readonly kind: TransferKind
  readonly reason: string | null
  readonly description: string
  /** Signed from the card's side: money in positive, money out negative. */
  readonly amount: Decimal
  /** The balance after this line. */
  readonly balance: Decimal
  readonly ride: { readonly tapId: string; readonly tappedAt: string; readonly routeId: string; readonly stopId: string | null } | null
}

export interface Statement {
  readonly month: string
  readonly timeZone: string
  readonly from: string
  readonly to: string
  readonly opening: Decimal
  readonly closing: Decimal
  readonly lines: StatementLine[]
}

/** A kind not named here (a newer one) is shown by its name. */
const DESCRIPTION: Readonly<Partial<Record<string, string>>> = {
  top_up: 'Top-up',
  fare: 'Fare',
  fare_adjustment: 'Fare adjustment',
  refund: 'Refund',
  manual_adjustment: 'Adjustment by customer service',
  concession: 'Concession compensation',
}

const REASON: Readonly<Record<string, string>> = {
  late_tap: 'a late tap re-rated the ride',
  exit_completed: 'exit tap arrived, real fare replaces the highest fare',
  tariff_correction: 'tariff corrected',
}

function describe(entry: AccountEntry, ride: StatementLine['ride']): string {
  const base = DESCRIPTION[entry.kind] ?? entry.kind
  const why = entry.reason !== null ? REASON[entry.reason] : undefined
  const route = ride ? `, route ${ride.routeId}` : ''
  return why ? `${base} (${why})${route}` : `${base}${route}`
}

/** Midnight at the start of a calendar month in a zone; month 13 is January of the next year. */
function monthStartMs(zone: string, year: number, month: number): number {
  const y = month > 12 ? year + 1 : year
  const m = month > 12 ? month - 12 : month
  return dayStartMs(zone, dayNumberOf(y, m, 1))
}

export async function monthlyStatement(db: Db, book: TariffBook, accountId: string, month: string): Promise<Statement> {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number]
  // The zone of the tariff in force as the month begins (near enough: a month starts within a day of any zone's midnight).
  const zone = timeZoneAt(book, Date.UTC(year, monthNumber - 1, 1))
  const fromMs = monthStartMs(zone, year, monthNumber)
  const toMs = monthStartMs(zone, year, monthNumber + 1)
  // One snapshot: a transfer committed between the two reads would otherwise be in neither or both.
  const { opening, entries, rides } = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const opening = await balanceBefore(trx, accountId, new Date(fromMs))
      const entries = await entriesBetween(trx, accountId, new Date(fromMs), new Date(toMs))
      const tapIds = [...new Set(entries.flatMap((e) => (e.tapId === null ? [] : [e.tapId])))]
      const rides =
        tapIds.length === 0 ? [] : await trx.selectFrom('taps').select(['tap_id', 'tapped_at', 'route_id', 'stop_id']).where('tap_id', 'in', tapIds).execute()
      return { opening, entries, rides }
    })
  const rideOf = new Map(
    rides.map((r) => [r.tap_id, { tapId: r.tap_id, tappedAt: formatInstant(zone, new Date(r.tapped_at).getTime()), routeId: r.route_id, stopId: r.stop_id }]),
  )
  // Transfers of one ledger batch share their posting time: within it, in the order of the rides.
  const rideMsOf = new Map(rides.map((r) => [r.tap_id, new Date(r.tapped_at).getTime()]))
  const rideMs = (entry: AccountEntry): number => (entry.tapId === null ? 0 : (rideMsOf.get(entry.tapId) ?? 0))
  const ordered = [...entries].sort((a, b) => a.postedAt.getTime() - b.postedAt.getTime() || rideMs(a) - rideMs(b) || (a.transferId < b.transferId ? -1 : 1))
  let balance = opening
  const lines = ordered.map((entry): StatementLine => {
    balance = balance.plus(entry.amount)
    const ride = entry.tapId === null ? null : (rideOf.get(entry.tapId) ?? null)
    return {
      transferId: entry.transferId,
      postedAt: formatInstant(zone, entry.postedAt.getTime()),
      kind: entry.kind,
      reason: entry.reason,
      description: describe(entry, ride),
      amount: entry.amount,
      balance,
      ride,
    }
  })
  return { month, timeZone: zone, from: formatInstant(zone, fromMs), to: formatInstant(zone, toMs), opening, closing: balance, lines }
}
