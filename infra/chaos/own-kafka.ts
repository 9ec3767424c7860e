/**
 * A Kafka broker of its own, on ports and a data dir of its own (never the
 * shared broker on 9092), for whatever stops, kills or has not yet started the
 * broker: the fault tool and the tests of broker outages. infra/kafka/kafka.sh
 * runs it, as `pnpm kafka` does; the jars come from KAFKA_CACHE_DIR as usual.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { REPO_ROOT } from '../repo-root.ts'

const KAFKA_SH = path.join(REPO_ROOT, 'infra/kafka/kafka.sh')

export interface OwnKafka {
  port: number
  /** For KAFKA_BROKERS. */
  brokers: string
  dataDir: string
  /** The kafka.sh variables that select this broker (for a start.ts that runs kafka.sh itself). */
  env: Record<string, string>
  /** `kafka.sh start`: starts the broker (topics taps and taps.dlq) and waits until it answers. */
  start(): Promise<void>
  /** `kafka.sh stop`: a controlled shutdown. */
  stop(): Promise<void>
  /** SIGKILL, as a crash would. */
  kill(): void
  /** Stops the broker and deletes its data. */
  destroy(): Promise<void>
}

/** A broker that is not started yet. `port` and `port + 1` (the controller) must be free; by default a random even port from 30000. */
export function createOwnKafka(options: { name: string; port?: number; partitions?: number }): OwnKafka {
  const port = options.port ?? 30_000 + 2 * Math.floor(Math.random() * 4000)
  const dataDir = mkdtempSync(path.join(tmpdir(), `fare-${options.name}-broker-`))
  const brokerEnv = {
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(port + 1),
    KAFKA_DATA_DIR: dataDir,
    KAFKA_HEAP: '256m',
    KAFKA_TAPS_PARTITIONS: String(options.partitions ?? 3),
    // A busy machine starts a JVM slowly; callers wait for the broker, not for a clock.
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
    async destroy() {
      await kafkaSh('stop').catch(() => undefined)
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
