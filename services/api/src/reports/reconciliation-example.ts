/** The reconciliation report's example answers (OpenAPI; test/contract/openapi-examples.test.ts checks them against the schema). */

const summary = [
  { figure: 'taps_received', count: 10467, amount: null },
  { figure: 'taps_settled', count: 10462, amount: null },
  { figure: 'taps_rejected', count: 5, amount: null },
  { figure: 'taps_dead_lettered', count: 5, amount: null },
  { figure: 'charges', count: 9980, amount: '151720.00' },
  { figure: 'revenue_splits', count: 12, amount: '0.00' },
  { figure: 'concessions', count: 1210, amount: '14310.00' },
  { figure: 'top_ups', count: 830, amount: '166000.00' },
  { figure: 'refunds', count: 2, amount: '120.00' },
  { figure: 'manual_adjustments', count: 0, amount: '0.00' },
  { figure: 'balance_moves', count: 1, amount: '46.00' },
]

export const RECONCILIATION_EXAMPLE = {
  report: 'reconciliation',
  from: '2026-11-01',
  to: '2026-11-03',
  timeZone: 'Europe/Kyiv',
  operator: null,
  currency: 'UAH',
  section: 'summary',
  fromInstant: '2026-10-31T22:00:00.000Z',
  toInstant: '2026-11-02T22:00:00.000Z',
  balanced: true,
  warnings: [
    { code: 'TAPS_REJECTED', message: '5 record(s) rejected by the ledger and dead-lettered (SCHEMA 1, UNKNOWN_ROUTE 4)' },
    { code: 'DEVICE_SEQUENCE_GAP', message: 'device val-bus10-07: 3 sequence number(s) never recorded (18342-18343; 18350)' },
  ],
  summary,
  codes: [
    { code: 'SCHEMA', rejected: 1 },
    { code: 'UNKNOWN_ROUTE', rejected: 4 },
  ],
  accounts: [
    { account_kind: 'concession', operator_id: null, opening: '-90210.00', debits: '14310.00', credits: '0.00', closing: '-104520.00' },
    { account_kind: 'operator_revenue', operator_id: 'lutsk-bus', opening: '610400.00', debits: '0.00', credits: '120030.00', closing: '730430.00' },
    { account_kind: 'operator_revenue', operator_id: 'lutsk-trolley', opening: '220000.00', debits: '0.00', credits: '46000.00', closing: '266000.00' },
    { account_kind: 'refunds', operator_id: null, opening: '1200.00', debits: '0.00', credits: '120.00', closing: '1320.00' },
    { account_kind: 'rider', operator_id: null, opening: '412610.00', debits: '151886.00', credits: '166046.00', closing: '426770.00' },
    { account_kind: 'top_up_clearing', operator_id: null, opening: '-1154000.00', debits: '166000.00', credits: '0.00', closing: '-1320000.00' },
  ],
  accountTotals: { opening: '0.00', debits: '332196.00', credits: '332196.00', closing: '0.00' },
  devices: [
    {
      device_id: 'val-bus10-07',
      operator_id: 'lutsk-bus',
      status: 'active',
      taps: 812,
      first_seq: 17540,
      last_seq: 18354,
      missing: 3,
      missing_ranges: '18342-18343; 18350',
      last_tap_received_at: '2026-11-02T21:40:12.000Z',
      last_token_at: '2026-11-02T18:00:03.000Z',
      last_seen: '2026-11-02T21:40:12.000Z',
    },
  ],
  rows: summary,
}

export const RECONCILIATION_CSV_EXAMPLE =
  'figure,count,amount\r\ntaps_received,10467,\r\ntaps_settled,10462,\r\ntaps_rejected,5,\r\ntaps_dead_lettered,5,\r\ncharges,9980,151720.00\r\n'
