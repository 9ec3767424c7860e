/**
 * Puts tap events on the `taps` topic, keyed by card token, with acks=all.
 * `send` resolves only once Kafka has acknowledged every record, which is what
 * lets ingest answer `accepted`.
 */
import { Partitioners, type Kafka, type Producer } from '@fare/platform'
import type { TapEvent } from '@fare/contracts'

export interface TapSink {
  send(events: readonly TapEvent[]): Promise<void>
  ready(): Promise<void>
  close(): Promise<void>
}

export async function createKafkaTapSink(kafka: Kafka, options: { topic: string; timeoutMs: number }): Promise<TapSink> {
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 } })
  await producer.connect()
  const admin = kafka.admin()
  await admin.connect()
  return {
    async send(events) {
      await producer.send({
        topic: options.topic,
        acks: -1,
        timeout: options.timeoutMs,
        messages: events.map((event) => ({ key: event.cardToken, value: JSON.stringify(event), headers: { schema: event.schema } })),
      })
    },
    async ready() {
      await admin.fetchTopicMetadata({ topics: [options.topic] })
    },
    async close() {
      await producer.disconnect()
      await admin.disconnect()
    },
  }
}
