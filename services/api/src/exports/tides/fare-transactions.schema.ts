/** TIDES v1.0 fare_transactions, as a Frictionless table schema in our words (README.md). Shipped in the export as JSON. */
import type { TableSchema } from './schemas.ts'

export const fareTransactionsSchema: TableSchema = {
  name: 'fare_transactions',
  title: 'Fare transactions (TIDES v1.0)',
  description: 'One row per rated tap: when and where, what the rider paid, whether a cap limited it. TIDES v1.0 in our words (README.md).',
  primaryKey: 'transaction_id',
  missingValues: [''],
  fields: [
    {
      name: 'transaction_id',
      type: 'string',
      description: "The tap's id (a UUID the validator made).",
      constraints: {
        required: true,
        unique: true,
      },
    },
    {
      name: 'service_date',
      type: 'date',
      description: "The agency's service day of the tap (local time, with the tariff's day start).",
      constraints: {
        required: true,
      },
    },
    {
      name: 'event_timestamp',
      type: 'datetime',
      description: 'When the card was tapped, in UTC.',
      constraints: {
        required: true,
      },
    },
    {
      name: 'location_ping_id',
      type: 'string',
      description: 'A vehicle_locations row; we keep none.',
    },
    {
      name: 'amount',
      type: 'number',
      description: 'What the rider pays for this tap now, after transfers, concessions and caps, in currency_type.',
      constraints: {
        required: true,
      },
    },
    {
      name: 'currency_type',
      type: 'string',
      description: 'ISO 4217 code of amount.',
    },
    {
      name: 'fare_action',
      type: 'string',
      description: 'What the tap did.',
      constraints: {
        required: true,
        enum: [
          'Unknown action type',
          'Purchase',
          'Enter',
          'Exit',
          'Transfer entrance',
          'Transfer exit',
          'Add',
          'New',
          'Capture',
          'Extend',
          'Combine',
          'Void',
          'Activate',
          'Adjust',
          'Other',
        ],
      },
    },
    {
      name: 'trip_id_performed',
      type: 'string',
      description: 'A trips_performed row; we do not know the trip.',
    },
    {
      name: 'trip_id_scheduled',
      type: 'string',
      description: 'The GTFS trip; we do not know it.',
    },
    {
      name: 'pattern_id',
      type: 'string',
      description: 'The stop path of the trip; we do not know it.',
    },
    {
      name: 'trip_stop_sequence',
      type: 'integer',
      description: 'Position of the stop in the trip as run.',
      constraints: {
        minimum: 1,
      },
    },
    {
      name: 'scheduled_stop_sequence',
      type: 'integer',
      description: 'GTFS stop_times.stop_sequence of the stop.',
      constraints: {
        minimum: 0,
      },
    },
    {
      name: 'vehicle_id',
      type: 'string',
      description: 'The vehicle the validator reported, when it reported one.',
    },
    {
      name: 'device_id',
      type: 'string',
      description: 'The validator that recorded the tap (devices.device_id).',
    },
    {
      name: 'fare_id',
      type: 'string',
      description: 'A GTFS fare_attributes fare class; our tariff is GTFS Fares v2, which has none.',
    },
    {
      name: 'stop_id',
      type: 'string',
      description: 'The GTFS stop of the tap, when the validator reported one.',
    },
    {
      name: 'num_riders',
      type: 'integer',
      description: 'How many riders the transaction covers.',
      constraints: {
        minimum: 0,
      },
    },
    {
      name: 'fare_media_id',
      type: 'string',
      description: 'The kind of fare medium used.',
      constraints: {
        enum: [
          'Cash or coins',
          'Smart card or ticket',
          'Magnetic-stripe card or ticket',
          'Bank card',
          'Mobile NFC',
          'Optical scan',
          'Button pressed by driver or operator to indicate a boarding or alighting passenger.',
          'Other type',
        ],
      },
    },
    {
      name: 'rider_category',
      type: 'string',
      description: "The rider category the tap was rated with (the tariff's rider_category_id).",
    },
    {
      name: 'fare_product',
      type: 'string',
      description: "The agency's fare product.",
    },
    {
      name: 'fare_period',
      type: 'string',
      description: "The agency's fare period (peak, off-peak, ...).",
    },
    {
      name: 'fare_capped',
      type: 'boolean',
      description: "Whether a fare cap limited this tap's charge.",
      constraints: {
        required: true,
      },
    },
    {
      name: 'token_id',
      type: 'string',
      description: 'The individual fare instrument (card) used.',
    },
    {
      name: 'balance',
      type: 'number',
      description: 'Stored value left on the account after the transaction.',
    },
  ],
}
