/** Our partitioner puts every key where kafkajs's DefaultPartitioner (and Kafka's Java client) would. */

import fc from 'fast-check'
import { Partitioners } from 'kafkajs'
import t from 'tap'
import { KeyPartitioner, murmur2, partitionForKey } from '../src/key-partitioner.ts'

const metadata = (n: number) => Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }))

t.test('same partition as kafkajs DefaultPartitioner for any key and partition count', async (t) => {
  const theirs = Partitioners.DefaultPartitioner()
  const ours = KeyPartitioner()
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.string({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
      ),
      fc.integer({ min: 1, max: 64 }),
      (key, n) => {
        const args = { topic: 'taps', partitionMetadata: metadata(n), message: { key, value: 'v' } }
        return ours(args) === theirs(args)
      },
    ),
    { numRuns: 5000 },
  )
  t.pass('5,000 keys agreed')
})

t.test('known values of Kafka murmur2 (from the Java client)', async (t) => {
  // Utils.murmur2 test vectors from Kafka's UtilsTest.
  t.equal(murmur2(Buffer.from('21')), -973932308)
  t.equal(murmur2(Buffer.from('foobar')), -790332482)
  t.equal(murmur2(Buffer.from('a-little-bit-long-string')), -985981536)
  t.equal(murmur2(Buffer.from('a-little-bit-longer-string')), -1486304829)
  t.equal(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')), -58897971)
  t.equal(murmur2(Buffer.from('abc')), 479470107)
  t.equal(partitionForKey('ct_card-1', 6), partitionForKey(Buffer.from('ct_card-1'), 6), 'a string key hashes as its UTF-8 bytes')
})

t.test('an explicit partition wins; keyless records spread over available partitions', async (t) => {
  const ours = KeyPartitioner()
  t.equal(ours({ topic: 'taps', partitionMetadata: metadata(6), message: { key: 'x', value: 'v', partition: 4 } }), 4)
  const seen = new Set<number>()
  const parts = metadata(3).map((p) => (p.partitionId === 1 ? { ...p, leader: -1 } : p))
  for (let i = 0; i < 20; i++) seen.add(ours({ topic: 'taps', partitionMetadata: parts, message: { value: 'v' } }))
  t.same([...seen].sort(), [0, 2], 'never the partition without a leader')
})
