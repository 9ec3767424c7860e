/**
 * Stall detection, on the real ledger process: a partition whose stored
 * offset does not move while records wait behind it (here: its offsets row
 * locked by someone else, as a stuck session would) makes /readyz fail naming
 * the partition and offset, shows in /metrics, and is logged; once it moves,
 * all is well again.
 */

import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { sql } from 'kysely'
import t from 'tap'
import { serviceCommand } from '../support/entries.ts'
import { TEST_BROKERS } from '../support/kafka.ts'
import { waitFor } from '../support/stack.ts'
import { createLedgerBench, fundCard, REPO_ROOT, tapEvent, withAppRole } from './harness.ts'

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

t.test('a partition that stops moving fails /readyz, shows in /metrics and is logged', async (t) => {
  const bench = await createLedgerBench('ledger-stall', { partitions: 2 })
  t.teardown(() => bench.close())
  const { db } = bench.database
  await fundCard(db, 'c-stall', '100.00')
  const port = await freePort()
  const ledger = spawn(process.execPath, serviceCommand('ledger'), {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      DATABASE_URL: withAppRole(bench.database.url),
      KAFKA_BROKERS: TEST_BROKERS.join(','),
      TAPS_TOPIC: bench.topics.taps,
      DLQ_TOPIC: bench.topics.dlq,
      LEDGER_GROUP: bench.topics.group,
      LEDGER_PORT: String(port),
      LEDGER_SESSION_TIMEOUT_MS: '6000',
      LEDGER_STALL_SECONDS: '2',
      LEDGER_LAG_INTERVAL_MS: '200',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.teardown(() => void ledger.kill('SIGKILL'))
  let logs = ''
  ledger.stdout.on('data', (chunk: Buffer) => {
    logs += chunk.toString('utf8')
  })
  const get = async (route: string): Promise<{ status: number; text: string }> => {
    const res = await fetch(`http://127.0.0.1:${port}${route}`).catch(() => undefined)
    return res ? { status: res.status, text: await res.text() } : { status: 0, text: '' }
  }

  await bench.produce([tapEvent({ card: 'c-stall', time: '2026-03-03T08:00:00Z' })])
  await bench.waitSettled(60_000)
  const [row] = await db.selectFrom('kafka_offsets').select(['partition', 'next_offset']).where('topic', '=', bench.topics.taps).execute()
  if (!row) throw new Error('no stored offset')
  await waitFor('the ledger ready', async () => (await get('/readyz')).status === 200, 60_000)

  // Someone else holds the partition's offsets row: the ledger's next batch waits on it.
  await db.connection().execute(async (conn) => {
    await sql`begin`.execute(conn)
    await sql`select next_offset from kafka_offsets where topic = ${bench.topics.taps} and partition = ${row.partition} for update`.execute(conn)
    try {
      await bench.produce([tapEvent({ card: 'c-stall', time: '2026-03-03T09:00:00Z' })])
      let readyz = { status: 0, text: '' }
      await waitFor(
        '/readyz to fail',
        async () => {
          readyz = await get('/readyz')
          return readyz.status === 503
        },
        60_000,
      )
      t.match(
        JSON.parse(readyz.text),
        {
          status: 'not_ready',
          checks: {
            settlement: new RegExp(`partition ${row.partition} stalled at offset ${row.next_offset} for \\d+ s \\(lag 1\\)`),
            postgres: 'ok',
            kafka: 'ok',
          },
        },
        '/readyz names the partition and offset',
      )
      t.match((await get('/metrics')).text, new RegExp(`ledger_partition_stalled\\{partition="${row.partition}",service="ledger"\\} 1`), '/metrics counts it')
      await waitFor('the stall logged', async () => logs.includes('partition stalled'), 10_000)
      const line = logs.split('\n').find((l) => l.includes('partition stalled')) ?? '{}'
      t.match(JSON.parse(line), { partition: row.partition, offset: row.next_offset, lag: 1 }, 'logged with the partition and offset')
    } finally {
      await sql`rollback`.execute(conn)
    }
  })

  await bench.waitSettled(60_000)
  await waitFor('/readyz ready again', async () => (await get('/readyz')).status === 200, 60_000)
  t.match((await get('/metrics')).text, new RegExp(`ledger_partition_stalled\\{partition="${row.partition}",service="ledger"\\} 0`), 'no longer stalled')
  t.ok(logs.includes('partition moving again'), 'the end of the stall is logged')
})
