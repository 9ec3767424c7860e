/**
 * A Kafka broker of a test's own, on ports and a data dir of its own (never
 * the shared broker on 9092), for tests that stop, kill or have not yet
 * started the broker. infra/kafka/kafka.sh runs it, as `pnpm kafka` does.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { REPO_ROOT, type Teardown } from './process.ts'

const KAFKA_SH = path.join(REPO_ROOT, 'infra/kafka/kafka.sh')

export interface OwnBroker {
  port: number
  /** For KAFKA_BROKERS. */
  brokers: string
  dataDir: string
  /** The kafka.sh variables that select this broker (for a start.ts that runs kafka.sh itself). */
  env: Record<string, string>
  /** `kafka.sh start`: starts the broker (topics taps and taps.dlq, 3 partitions) and waits until it answers. */
  start(): Promise<void>
  /** `kafka.sh stop`: a controlled shutdown. */
  stop(): Promise<void>
  /** SIGKILL, as a crash would. */
  kill(): void
}

/** A broker that is not started yet; the test's teardown stops it and deletes its data. */
export function createOwnBroker(t: Teardown, name: string): OwnBroker {
  const port = 30_000 + 2 * Math.floor(Math.random() * 4000)
  const dataDir = mkdtempSync(path.join(tmpdir(), `fare-${name}-broker-`))
  const brokerEnv = {
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(port + 1),
    KAFKA_DATA_DIR: dataDir,
    KAFKA_HEAP: '256m',
    KAFKA_TAPS_PARTITIONS: '3',
    // A busy machine starts a JVM slowly; the test waits for the broker, not for a clock.
    KAFKA_START_TIMEOUT: '300',
  }
  const env = { ...process.env, ...brokerEnv }
  const kafkaSh = (command: 'start' | 'stop') =>
    new Promise<void>((resolve, reject) => {
      const child = spawn('bash', [KAFKA_SH, command], { env, stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kafka.sh ${command} exited ${code}: ${stderr}`))))
    })
  t.teardown(async () => {
    await kafkaSh('stop').catch(() => undefined)
    rmSync(dataDir, { recursive: true, force: true })
  })
  return {
    port,
    brokers: `127.0.0.1:${port}`,
    dataDir,
    env: brokerEnv,
    start: () => kafkaSh('start'),
    stop: () => kafkaSh('stop'),
    kill() {
      const pid = Number(readFileSync(path.join(dataDir, 'kafka.pid'), 'utf8'))
      process.kill(pid, 'SIGKILL')
    },
  }
}
