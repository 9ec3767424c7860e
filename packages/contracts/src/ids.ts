import { v7 as uuidv7 } from 'uuid'

/** Tap ids are UUIDv7, made on the validator: they sort by time as plain strings. */
export function newTapId(): string {
  return uuidv7()
}
