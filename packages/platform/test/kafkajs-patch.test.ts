/**
 * patches/kafkajs@2.2.4.patch makes kafkajs's record encoding cheaper; these
 * check it still writes the bytes Kafka's protocol defines: CRC32C against a
 * plain byte-at-a-time reference, and varints / varlongs against the LEB128
 * zigzag encoding computed here with BigInt.
 */

import { createRequire } from 'node:module'
import fc from 'fast-check'
import t from 'tap'

const require = createRequire(import.meta.url)
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (buffer: Buffer) => number
const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => {
  writeVarInt(v: number): unknown
  writeVarLong(v: number | bigint): unknown
  buffer: Buffer
}

const REFERENCE_TABLE = (() => {
  const table = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
    table[n] = c
  }
  return table
})()
function referenceCrc32C(bytes: Uint8Array): number {
  let crc = -1
  for (const b of bytes) crc = (REFERENCE_TABLE[(crc ^ b) & 0xff] as number) ^ (crc >>> 8)
  return (crc ^ -1) >>> 0
}

/** Zigzag then unsigned LEB128, over 64 bits. */
function referenceVarLong(value: bigint): Buffer {
  let zigzag = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n))
  const bytes: number[] = []
  while (zigzag >= 0x80n) {
    bytes.push(Number(zigzag & 0x7fn) | 0x80)
    zigzag >>= 7n
  }
  bytes.push(Number(zigzag))
  return Buffer.from(bytes)
}

t.test('CRC32C is the Castagnoli checksum', async (t) => {
  t.equal(crc32C(Buffer.from('123456789')), 0xe3069283, 'the standard check value')
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => crc32C(Buffer.from(bytes)) === referenceCrc32C(bytes)),
    { numRuns: 3000 },
  )
})

t.test('varints and varlongs are zigzag LEB128', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (n) => {
      const asInt = new Encoder()
      asInt.writeVarInt(n)
      const asLong = new Encoder()
      asLong.writeVarLong(n)
      const expected = referenceVarLong(BigInt(n))
      return asInt.buffer.equals(expected) && asLong.buffer.equals(expected)
    }),
    { numRuns: 5000 },
  )
  // Beyond int32 the varlong takes kafkajs's own 64-bit path.
  for (const n of [2 ** 31, -(2 ** 31) - 1, Date.now(), -Date.now(), Number.MAX_SAFE_INTEGER]) {
    const e = new Encoder()
    e.writeVarLong(n)
    t.same(e.buffer, referenceVarLong(BigInt(n)), `varlong ${n}`)
  }
})
