/** TIDES v1.0 devices, as a Frictionless table schema in our words (README.md). Shipped in the export as JSON. */
import type { TableSchema } from './schemas.ts'

export const devicesSchema: TableSchema = {
  name: 'devices',
  title: 'Devices (TIDES v1.0)',
  description: 'The validators (AFC devices) registered with the fare system. Our wording of the TIDES v1.0 table; see README.md for the sources.',
  primaryKey: 'device_id',
  missingValues: [''],
  fields: [
    {
      name: 'device_id',
      type: 'string',
      description: "The validator's id, as registered.",
      constraints: {
        required: true,
        unique: true,
      },
    },
    {
      name: 'stop_id',
      type: 'string',
      description: 'The GTFS stop a fixed device stands at; empty for a device on a vehicle.',
    },
    {
      name: 'vehicle_id',
      type: 'string',
      description: 'The vehicle a device is mounted on; empty when not known or not on a vehicle.',
    },
    {
      name: 'train_car_id',
      type: 'string',
      description: 'The train car a device is mounted on.',
    },
    {
      name: 'device_type',
      type: 'string',
      description: 'What kind of device it is.',
      constraints: {
        enum: ['APC', 'AFC', 'AVL', 'Other'],
      },
    },
    {
      name: 'device_vendor',
      type: 'string',
      description: 'Who makes the device.',
    },
    {
      name: 'device_model',
      type: 'string',
      description: "The vendor's model name.",
    },
    {
      name: 'device_location',
      type: 'string',
      description: 'Where on the vehicle or at the station the device is (front door, entrance, ...).',
    },
  ],
}
