/**
 * `pnpm bench:fastify`: the ceiling for ingest's requests per second, a
 * Fastify hello world (bench/fastify-hello.ts) over the same transport as
 * ingest in bench:ingest: HTTPS (TLS 1.3 negotiated, a throwaway CA made by
 * openssl), one process per core (node:cluster, as ingest's default), and
 * the same load client (autocannon in this process, 32 keep-alive
 * connections, a 3 s warm-up). `pnpm bench` divides ingest's requests per
 * second by this.
 *   BENCH_SECONDS (20), BENCH_CONNECTIONS (32), INGEST_WORKERS (one per core)
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTestPki } from '../test/support/tls.ts'
import { envNumber, isMainModule } from './main-module.ts'

interface AutocannonResult {
  requests: { total: number }
  latency: { p50: number; p99: number }
  non2xx: number
  errors: number
  timeouts: number
}
// autocannon ships no types; this is the slice of its API used here.
const autocannon = createRequire(import.meta.url)('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>

const HERE = path.dirname(fileURLToPath(import.meta.url))

export interface FastifyBenchOptions {
  readonly seconds?: number | undefined
  readonly connections?: number | undefined
  readonly workers?: number | undefined
}

export interface FastifyResult {
  readonly seconds: number
  readonly connections: number
  readonly workers: number
  readonly requests: number
  readonly requestsPerSecond: number
  readonly latencyMs: { readonly p50: number; readonly p99: number }
  readonly non2xx: number
  readonly errors: number
}

export async function runFastifyBench(options: FastifyBenchOptions = {}): Promise<FastifyResult> {
  const seconds = options.seconds ?? 20
  const connections = options.connections ?? 32
  const workers = options.workers ?? availableParallelism()
  const port = 21_000 + Math.floor(Math.random() * 1000)
  const pki = createTestPki()
  const server = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'fastify-hello.ts')], {
    env: {
      ...process.env,
      FASTIFY_PORT: String(port),
      FASTIFY_WORKERS: String(workers),
      FASTIFY_TLS_CERT_FILE: pki.files.serverCert,
      FASTIFY_TLS_KEY_FILE: pki.files.serverKey,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let listening = 0
  server.stdout?.on('data', (chunk: Buffer) => {
    listening += chunk
      .toString()
      .split('\n')
      .filter((l) => l === 'listening').length
  })
  const stop = () => server.kill('SIGTERM')
  process.on('exit', stop)
  try {
    const url = `https://127.0.0.1:${port}`
    const tlsOptions = { ca: pki.caCert }
    const { default: https } = await import('node:https')
    const up = () =>
      new Promise<boolean>((resolve) => {
        https
          .get(`${url}/`, tlsOptions, (res) => {
            res.resume()
            resolve(res.statusCode === 200)
          })
          .on('error', () => resolve(false))
      })
    for (let i = 0; listening < workers || !(await up()); i++) {
      if (i > 300) throw new Error('the Fastify hello world did not start in 60 s')
      await new Promise((r) => setTimeout(r, 200))
    }
    console.log(`Fastify hello world over HTTPS (${workers} process${workers === 1 ? '' : 'es'}): ${seconds} s, ${connections} connections`)
    const request = { url, connections, tlsOptions }
    await autocannon({ ...request, duration: 3 })
    const result = await autocannon({ ...request, duration: seconds })
    const requestsPerSecond = result.requests.total / seconds
    console.log(
      `Fastify hello world: ${Math.round(requestsPerSecond)} requests/s (p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms; ` +
        `${result.non2xx} non-2xx, ${result.errors} errors)`,
    )
    return {
      seconds,
      connections,
      workers,
      requests: result.requests.total,
      requestsPerSecond,
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
      non2xx: result.non2xx,
      errors: result.errors,
    }
  } finally {
    process.off('exit', stop)
    stop()
    pki.remove()
  }
}

if (isMainModule(import.meta.url)) {
  await runFastifyBench({ seconds: envNumber('BENCH_SECONDS'), connections: envNumber('BENCH_CONNECTIONS'), workers: envNumber('INGEST_WORKERS') })
  process.exit(0)
}
