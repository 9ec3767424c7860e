/**
 * A Kafka broker of a test's own (infra/chaos/own-kafka.ts: its own ports and
 * data dir, never the shared broker on 9092), for tests that stop, kill or
 * have not yet started the broker. The test's teardown stops it and deletes
 * its data.
 */
import { createOwnKafka, type OwnKafka } from '../../infra/chaos/own-kafka.ts'
import type { Teardown } from './process.ts'

export type OwnBroker = Omit<OwnKafka, 'destroy'>

/** A broker that is not started yet (topics taps and taps.dlq, 3 partitions once started). */
export function createOwnBroker(t: Teardown, name: string): OwnBroker {
  const broker = createOwnKafka({ name })
  t.teardown(() => broker.destroy())
  return broker
}
