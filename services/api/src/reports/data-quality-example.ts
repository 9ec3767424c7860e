/** The data-quality report's example answers (OpenAPI; test/contract/openapi-examples.test.ts checks them against the schema). */

const rows = [
  { figure: 'unknown_route', count: 4, p50_seconds: null, p95_seconds: null, p99_seconds: null, max_seconds: null },
  { figure: 'unknown_stop', count: 1, p50_seconds: null, p95_seconds: null, p99_seconds: null, max_seconds: null },
  { figure: 'incomplete_journeys', count: 37, p50_seconds: null, p95_seconds: null, p99_seconds: null, max_seconds: null },
  { figure: 'unmatched_exits', count: 6, p50_seconds: null, p95_seconds: null, p99_seconds: null, max_seconds: null },
  { figure: 'double_taps', count: 112, p50_seconds: null, p95_seconds: null, p99_seconds: null, max_seconds: null },
  { figure: 'settlement_lag', count: 10462, p50_seconds: 0.412, p95_seconds: 1.87, p99_seconds: 4.205, max_seconds: 61.3 },
  { figure: 'receipt_delay', count: 10462, p50_seconds: 2.1, p95_seconds: 14.8, p99_seconds: 930.2, max_seconds: 86102.5 },
  { figure: 'late_taps', count: 58, p50_seconds: null, p95_seconds: null, p99_seconds: null, max_seconds: null },
]

export const DATA_QUALITY_EXAMPLE = {
  report: 'data-quality',
  from: '2026-11-01',
  to: '2026-11-03',
  timeZone: 'Europe/Kyiv',
  operator: 'lutsk-bus',
  currency: 'UAH',
  fromInstant: '2026-10-31T22:00:00.000Z',
  toInstant: '2026-11-02T22:00:00.000Z',
  lateTapSeconds: 3600,
  warnings: [
    { code: 'UNRATABLE_TAPS', message: '5 tap(s) name a route or stop the tariff does not know (rejected)' },
    { code: 'LATE_TAPS', message: '58 tap(s) reached ingest more than 1 h after they were made' },
  ],
  rows,
}

export const DATA_QUALITY_CSV_EXAMPLE =
  'figure,count,p50_seconds,p95_seconds,p99_seconds,max_seconds\r\nunknown_route,4,,,,\r\nsettlement_lag,10462,0.412,1.87,4.205,61.3\r\nlate_taps,58,,,,\r\n'
