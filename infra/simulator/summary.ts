/**
 * The figures of a finished run: taps (presented, recorded, accepted,
 * re-sent, refused), riders, revenue per operator as the ledger's read side
 * has it, caps reached and cards denied, and the per-tap check's verdict.
 */
import type { Db } from '@fare/db'
import { moneyFromDb } from '@fare/db'
import { formatInstant } from '@fare/fares'
import { ZERO } from '@fare/money'
import { sql } from 'kysely'
import type { CheckResult } from './check.ts'
import { type City, cardTokenPrefix } from './city.ts'
import type { DayWindow } from './day.ts'
import type { Fleet } from './fleet.ts'

export interface Summary {
  window: { from: string; to: string; tariffChangeAt: string | null }
  taps: {
    presented: number
    recorded: number
    accepted: number
    acceptedAnswers: number
    resent: number
    refusedByIngest: number
    deniedAtGate: number
    doubleTaps: number
    transfers: number
    afterTariffChange: number
  }
  riders: { cards: number; riding: number; byCategory: Record<string, number> }
  /** Per operator: what riders paid on its legs, its fare revenue after journeys over two operators are split, the city's concession compensation. */
  revenue: { operatorId: string; ridersPaid: string; fares: string; concession: string; total: string }[]
  capsReached: number
  deniedCards: number
  onDenyListAtEnd: number
  validatorsOffline: number
  check: { passed: boolean; tapsChecked: number; discrepancies: { what: string; detail: string }[] }
  seconds: number
}

export async function summarise(db: Db, city: City, window: DayWindow, fleet: Fleet, check: CheckResult, seconds: number): Promise<Summary> {
  const like = `${cardTokenPrefix(city.tag)}%`
  const revenue = await sql<{ operator_id: string; paid: string; split: string; concession: string }>`
    select operator_id, sum(amount)::text as paid, sum(split)::text as split, sum(concession)::text as concession
    from tap_charges where card_token like ${like} group by operator_id order by operator_id`.execute(db)
  const denyList = await sql<{ n: string }>`select count(*)::text as n from deny_list where card_token like ${like}`.execute(db)
  const accepted = [...fleet.sent.values()].filter((s) => fleet.accepted.has(s.tap.tapId))
  const ridingCards = new Set(accepted.map((s) => s.card))
  const byCategory: Record<string, number> = {}
  for (const index of ridingCards) {
    const category = city.cards[index]?.riderCategoryId ?? 'unknown'
    byCategory[category] = (byCategory[category] ?? 0) + 1
  }
  const cappedCards = new Set<string>()
  for (const s of accepted) if (check.charges.get(s.tap.tapId)?.flags.includes('capped')) cappedCards.add(s.tap.cardToken)
  const iso = (ms: number) => formatInstant(window.timeZone, ms)
  return {
    window: { from: iso(window.startMs), to: iso(window.endMs), tariffChangeAt: window.midnightMs === undefined ? null : iso(window.midnightMs) },
    taps: {
      presented: fleet.counts.presented,
      recorded: fleet.counts.recorded,
      accepted: fleet.accepted.size,
      acceptedAnswers: fleet.counts.acceptedAnswers,
      resent: fleet.counts.resentTaps,
      refusedByIngest: fleet.counts.recorded - fleet.accepted.size,
      deniedAtGate: fleet.counts.deniedAtGate,
      doubleTaps: accepted.filter((s) => s.behaviour === 'double-tap').length,
      transfers: accepted.filter((s) => s.behaviour === 'transfer').length,
      afterTariffChange: window.midnightMs === undefined ? 0 : accepted.filter((s) => Date.parse(s.tap.tappedAt) >= (window.midnightMs ?? 0)).length,
    },
    riders: { cards: city.cards.length, riding: ridingCards.size, byCategory },
    revenue: revenue.rows.map((r) => {
      const fares = moneyFromDb(r.paid).plus(moneyFromDb(r.split))
      return {
        operatorId: r.operator_id,
        ridersPaid: moneyFromDb(r.paid).toFixed(2),
        fares: fares.toFixed(2),
        concession: moneyFromDb(r.concession).toFixed(2),
        total: fares.plus(moneyFromDb(r.concession)).toFixed(2),
      }
    }),
    capsReached: cappedCards.size,
    deniedCards: fleet.deniedCards.size,
    onDenyListAtEnd: Number(denyList.rows[0]?.n ?? 0),
    validatorsOffline: fleet.outages.size,
    check: { passed: check.discrepancies.length === 0, tapsChecked: check.tapsChecked, discrepancies: check.discrepancies },
    seconds,
  }
}

export function formatSummary(s: Summary): string {
  const sum = (pick: (r: Summary['revenue'][number]) => string) => s.revenue.reduce((total, r) => total.plus(pick(r)), ZERO).toFixed(2)
  const revenueLine = (name: string, ridersPaid: string, fares: string, concession: string, total: string) =>
    `          ${name.padEnd(14)} ${ridersPaid.padStart(12)} ${fares.padStart(12)} ${concession.padStart(12)} ${total.padStart(12)}`
  const lines = [
    `Simulated ${s.window.from} to ${s.window.to}${s.window.tariffChangeAt ? `, new fares from ${s.window.tariffChangeAt}` : ''} in ${s.seconds.toFixed(0)} s`,
    `Taps:     ${s.taps.presented} presented, ${s.taps.deniedAtGate} refused at the gate (deny list), ${s.taps.recorded} recorded by validators`,
    `          ${s.taps.accepted} accepted by ingest (${s.taps.acceptedAnswers} answers: ${s.taps.resent} re-sent), ${s.taps.refusedByIngest} refused`,
    `          ${s.taps.transfers} transfers, ${s.taps.doubleTaps} double taps, ${s.taps.afterTariffChange} after the tariff change`,
    `Riders:   ${s.riders.riding} of ${s.riders.cards} cards rode (${Object.entries(s.riders.byCategory)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')})`,
    `Revenue:  ${'operator'.padEnd(14)} ${'riders paid'.padStart(12)} ${'after split'.padStart(12)} ${'concessions'.padStart(12)} ${'total'.padStart(12)}`,
    ...s.revenue.map((r) => revenueLine(r.operatorId, r.ridersPaid, r.fares, r.concession, r.total)),
    revenueLine(
      'all',
      sum((r) => r.ridersPaid),
      sum((r) => r.fares),
      sum((r) => r.concession),
      sum((r) => r.total),
    ),
    `Caps:     ${s.capsReached} cards reached a cap`,
    `Denied:   ${s.deniedCards} cards refused at a gate; ${s.onDenyListAtEnd} on the deny list at the end`,
    `Offline:  ${s.validatorsOffline} validators went offline and uploaded later`,
    s.check.passed
      ? `Check:    passed: ${s.check.tapsChecked} accepted taps, each recorded once and charged what the fare engine says`
      : `Check:    FAILED (${s.check.discrepancies.length} discrepancies listed)`,
    ...s.check.discrepancies.map((d) => `          [${d.what}] ${d.detail}`),
  ]
  return lines.join('\n')
}
