/**
 * The database as Kysely sees it. Ledger columns are `ColumnType<S, I, never>`:
 * the application can never type an update to them. pg returns numeric and
 * bigint as strings; money becomes Decimal in `money.ts`, never via parseFloat.
 */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely'

type Immutable<S, I = S> = ColumnType<S, I, never>
type CreatedAt = ColumnType<Date, Date | string | undefined, never>

export type AccountKind = 'rider' | 'operator_revenue' | 'top_up_clearing' | 'concession' | 'refunds' | 'adjustments'
export type TransferKind = 'fare' | 'fare_adjustment' | 'top_up' | 'refund' | 'concession' | 'manual_adjustment' | 'balance_move'

interface OperatorsTable {
  id: string
  name: string
  created_at: CreatedAt
}

interface AccountsTable {
  id: Generated<string>
  kind: Immutable<AccountKind>
  operator_id: Immutable<string | null, string | null | undefined>
  currency: Immutable<string>
  balance: ColumnType<string, string | undefined, string>
  created_at: CreatedAt
}

interface CardsTable {
  card_token: Immutable<string>
  account_id: Immutable<string>
  rider_id: string | null
  rider_category_id: ColumnType<string, string | undefined, string>
  category_valid_from: ColumnType<string | null, string | null | undefined, string | null>
  category_valid_to: ColumnType<string | null, string | null | undefined, string | null>
  fare_media_id: string | null
  status: ColumnType<'active' | 'blocked', 'active' | 'blocked' | undefined, 'active' | 'blocked'>
  /** The card that replaced this one (migration 2026-12-02T00-00); set once, with the block. */
  replaced_by: ColumnType<string | null, string | null | undefined, string>
  created_at: CreatedAt
}

interface TapsTable {
  tap_id: Immutable<string>
  card_token: Immutable<string>
  kind: Immutable<'entry' | 'exit'>
  tapped_at: Immutable<Date, Date | string>
  tapped_at_text: Immutable<string>
  route_id: Immutable<string>
  stop_id: Immutable<string | null, string | null | undefined>
  vehicle_id: Immutable<string | null, string | null | undefined>
  device_id: Immutable<string>
  operator_id: Immutable<string>
  device_seq: Immutable<string | null, string | number | null | undefined>
  received_at: Immutable<Date, Date | string>
  kafka_partition: Immutable<number>
  kafka_offset: Immutable<string, string>
  recorded_at: CreatedAt
}

interface TransfersTable {
  id: Immutable<string, string | undefined>
  debit_account_id: Immutable<string>
  credit_account_id: Immutable<string>
  amount: Immutable<string>
  currency: Immutable<string>
  kind: Immutable<TransferKind>
  tap_id: Immutable<string | null, string | null | undefined>
  journey_id: Immutable<string | null, string | null | undefined>
  reason: Immutable<string | null, string | null | undefined>
  explanation: Immutable<unknown, string | null | undefined>
  idempotency_key: Immutable<string | null, string | null | undefined>
  created_at: CreatedAt
}

interface KafkaOffsetsTable {
  consumer_group: string
  topic: string
  partition: number
  next_offset: string
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

interface DevicesTable {
  id: Immutable<string>
  operator_id: Immutable<string>
  public_key_pem: string
  status: ColumnType<'active' | 'revoked', 'active' | 'revoked' | undefined, 'active' | 'revoked'>
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  /** When it last traded an assertion for an access token: its "last seen" (migration 2026-12-02T00-00). */
  last_token_at: ColumnType<Date | null, Date | string | null | undefined, Date | string>
  created_at: CreatedAt
}

interface DenyListChangesTable {
  version: Generated<string>
  card_token: Immutable<string>
  action: Immutable<'add' | 'remove'>
  reason: Immutable<string | null, string | null | undefined>
  changed_at: CreatedAt
}

interface DenyListTable {
  card_token: string
  version: string
  added_at: CreatedAt
  /** The balance at which the card is restored (migration 2026-11-28T02-00). */
  restore_balance: ColumnType<string, string | undefined, string>
}

interface RejectedTapsTable {
  topic: Immutable<string>
  partition: Immutable<number>
  offset: Immutable<string>
  tap_id: Immutable<string | null, string | null | undefined>
  card_token: Immutable<string | null, string | null | undefined>
  code: Immutable<string>
  detail: Immutable<string>
  value: Immutable<string | null, string | null | undefined>
  rejected_at: CreatedAt
}

/** A card's rider category until `until` (migration 2026-12-02T00-00). */
interface CardCategoryHistoryTable {
  id: Generated<string>
  card_token: Immutable<string>
  rider_category_id: Immutable<string>
  category_valid_from: Immutable<string | null, string | null | undefined>
  category_valid_to: Immutable<string | null, string | null | undefined>
  until: Immutable<Date, Date | string>
}

/** One per (caller, Idempotency-Key): the request's hash and the answer given (migration 2026-12-02T00-00). */
interface IdempotencyRecordsTable {
  caller: Immutable<string>
  key: Immutable<string>
  request_hash: Immutable<string>
  response_status: ColumnType<number | null, number | null | undefined, number>
  response_body: ColumnType<unknown, string | null | undefined, string>
  created_at: CreatedAt
}

/** Who did what: append-only, like transfers (migration 2026-12-02T00-00). */
interface AdminActionsTable {
  id: Generated<string>
  actor_subject: Immutable<string>
  actor_role: Immutable<string>
  action: Immutable<string>
  target: Immutable<string>
  reason: Immutable<string | null, string | null | undefined>
  transfer_id: Immutable<string | null, string | null | undefined>
  created_at: CreatedAt
}

interface TariffVersionsTable {
  id: Generated<string>
  name: string
  effective_from: Immutable<Date, Date | string>
  files: Immutable<Record<string, string>, string>
  sha256: Immutable<string>
  created_at: CreatedAt
}

interface TariffDraftsTable {
  id: Generated<string>
  name: Immutable<string>
  files: Immutable<Record<string, string>, string>
  sha256: Immutable<string>
  uploaded_by: Immutable<string>
  created_at: CreatedAt
  /** Set once, when the draft is published as a tariff version (migration 2026-12-02T02-00). */
  activated_version_id: ColumnType<string | null, undefined, string>
  activated_effective_from: ColumnType<Date | null, undefined, Date | string>
  activated_by: ColumnType<string | null, undefined, string>
  activated_at: ColumnType<Date | null, undefined, Date | string>
}

/** One row per rated tap: the engine's current figures, kept by the ledger with its transfers (migration 2026-12-02T04-00). */
interface TapChargesTable {
  tap_id: string
  card_token: string
  operator_id: string
  route_id: string
  stop_id: string | null
  device_id: string
  tap_kind: 'entry' | 'exit'
  tapped_at: ColumnType<Date, Date | string, Date | string>
  service_day: ColumnType<string, string, string>
  local_hour: number
  rider_category_id: string | null
  charge_kind: string
  journey_id: string | null
  tariff_version_id: string
  full_fare: string
  leg_fare: string
  before_caps: string
  amount: string
  first_amount: string
  concession: string
  split: string
  currency: string
  capped_by: string | null
  first_rated_at: ColumnType<Date, Date | string | undefined, Date | string>
  rated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

/**
 * Per service day, operator, route, rider category, cap and shard: the sums of tap_charges that add up, kept by
 * the ledger in the same transaction (migration 2026-12-02T08-00). Counts are bigint, money numeric: strings.
 */
interface TapChargeDaysTable {
  service_day: ColumnType<string, string, string>
  operator_id: string
  route_id: string
  rider_category_id: string | null
  capped_by: string | null
  currency: string
  shard: number
  charges: string
  rides: string
  capped_rides: string
  full_fare: string
  leg_fare: string
  before_caps: string
  amount: string
  first_amount: string
  concession: string
  split: string
}

/** Transfers per UTC hour of posting, kind and the kinds (operators) of their accounts, kept by a trigger (migration 2026-12-02T08-10). */
interface TransferHoursTable {
  hour: ColumnType<Date, Date | string, Date | string>
  currency: string
  kind: string
  debit_kind: string
  debit_operator: string | null
  credit_kind: string
  credit_operator: string | null
  transfers: string
  amount: string
}

export interface Database {
  operators: OperatorsTable
  accounts: AccountsTable
  cards: CardsTable
  taps: TapsTable
  transfers: TransfersTable
  kafka_offsets: KafkaOffsetsTable
  devices: DevicesTable
  deny_list_changes: DenyListChangesTable
  deny_list: DenyListTable
  tariff_versions: TariffVersionsTable
  tariff_drafts: TariffDraftsTable
  rejected_taps: RejectedTapsTable
  idempotency_records: IdempotencyRecordsTable
  admin_actions: AdminActionsTable
  card_category_history: CardCategoryHistoryTable
  tap_charges: TapChargesTable
  tap_charge_days: TapChargeDaysTable
  transfer_hours: TransferHoursTable
}

export type Device = Selectable<DevicesTable>
export type TariffVersion = Selectable<TariffVersionsTable>
export type TariffDraft = Selectable<TariffDraftsTable>
export type RejectedTap = Selectable<RejectedTapsTable>
export type AdminAction = Selectable<AdminActionsTable>
export type TapCharge = Selectable<TapChargesTable>

export type Operator = Selectable<OperatorsTable>
export type Account = Selectable<AccountsTable>
export type Card = Selectable<CardsTable>
export type NewCard = Insertable<CardsTable>
export type TapRow = Selectable<TapsTable>
export type NewTap = Insertable<TapsTable>
export type Transfer = Selectable<TransfersTable>
export type NewTransfer = Insertable<TransfersTable>
