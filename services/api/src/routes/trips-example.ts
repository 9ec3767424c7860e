/**
 * The example /docs shows for a trips page: a ride re-rated by a late tap,
 * then a bus ride with a trolleybus transfer within the hour.
 */
const uah = (amount: string) => ({ amount, currency: 'UAH' })

export const TRIPS_EXAMPLE = {
  cardToken: 'ct_demo_adult_0001',
  timeZone: 'Europe/Kyiv',
  from: '2026-11-01',
  to: '2026-11-30',
  journeys: [
    {
      journeyId: '019a6cb1-7a40-7000-8000-000000000006',
      startedAt: '2026-11-10T13:05:00+02:00',
      total: uah('0.00'),
      legs: [
        {
          routeId: 'bus-10',
          operatorId: 'lutsk-bus',
          fromStopId: 'S4',
          toStopId: null,
          boardedAt: '2026-11-10T13:05:00+02:00',
          alightedAt: null,
          complete: true,
          tapIds: ['019a6cb1-7a40-7000-8000-000000000006'],
        },
      ],
      taps: [
        {
          tapId: '019a6cb1-7a40-7000-8000-000000000006',
          kind: 'entry',
          tappedAt: '2026-11-10T13:05:00+02:00',
          routeId: 'bus-10',
          stopId: 'S4',
          charged: uah('0.00'),
          chargedAtTap: uah('18.00'),
          flags: ['capped'],
          summary: 'Daily cap of 54.00 UAH reached: 0.00 UAH',
          explanation:
            'Bus single fare on route bus-10 from stop S4 (18.00 UAH). ' +
            'Your daily cap of 54.00 UAH (2026-11-10 04:00 to 2026-11-11 04:00) was already reached, so this ride is free: it saved you 18.00 UAH.',
          cap: { capId: 'adult-day', saved: uah('18.00') },
          adjustments: [
            {
              change: uah('-18.00'),
              reason: 'late_tap',
              postedAt: '2026-11-11T09:00:04+02:00',
              explanation:
                'Re-rated on 2026-11-11 09:00 because your tap at 2026-11-10 06:30 reached us late (from a validator that was offline, for example): ' +
                "with it, this ride's charge changed from 18.00 to 0.00 UAH.",
            },
          ],
        },
      ],
    },
    {
      journeyId: '019a6870-6000-7000-8000-000000000001',
      startedAt: '2026-11-09T08:00:00+02:00',
      total: uah('23.00'),
      legs: [
        {
          routeId: 'bus-10',
          operatorId: 'lutsk-bus',
          fromStopId: 'S1',
          toStopId: null,
          boardedAt: '2026-11-09T08:00:00+02:00',
          alightedAt: null,
          complete: true,
          tapIds: ['019a6870-6000-7000-8000-000000000001'],
        },
        {
          routeId: 'trolley-1',
          operatorId: 'lutsk-trolley',
          fromStopId: 'S2',
          toStopId: null,
          boardedAt: '2026-11-09T08:40:00+02:00',
          alightedAt: null,
          complete: true,
          tapIds: ['019a6894-9e00-7000-8000-000000000002'],
        },
      ],
      taps: [
        {
          tapId: '019a6870-6000-7000-8000-000000000001',
          kind: 'entry',
          tappedAt: '2026-11-09T08:00:00+02:00',
          routeId: 'bus-10',
          stopId: 'S1',
          charged: uah('18.00'),
          chargedAtTap: uah('18.00'),
          flags: [],
          summary: 'Bus single fare, route bus-10: 18.00 UAH',
          explanation: 'Bus single fare on route bus-10 from stop S1: 18.00 UAH.',
          cap: null,
          adjustments: [],
        },
        {
          tapId: '019a6894-9e00-7000-8000-000000000002',
          kind: 'entry',
          tappedAt: '2026-11-09T08:40:00+02:00',
          routeId: 'trolley-1',
          stopId: 'S2',
          charged: uah('5.00'),
          chargedAtTap: uah('5.00'),
          flags: ['transfer'],
          summary: 'Transfer within 60 min: 5.00 UAH',
          explanation:
            'Transfer from bus to trolleybus within 60 min (40 min after the ride before) on route trolley-1 from stop S2: ' +
            '5.00 UAH instead of the 15.00 UAH Trolleybus single fare.',
          cap: null,
          adjustments: [],
        },
      ],
    },
  ],
  hasMore: true,
  nextCursor: 'eyJzIjoxNzYyNjY4MDAwMDAwLCJqIjoiMDE5YTY4NzAtNjAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAxIn0',
}
