/**
 * The Fastify hello world `pnpm bench:fastify` measures as a ceiling for
 * ingest: the same transport as ingest in bench:ingest (HTTPS with the
 * certificate given, TLS 1.2 minimum, keep-alive, node:cluster with one
 * worker per FASTIFY_WORKERS), and nothing else: no logger, no plugins, one
 * route answering {"hello":"world"}.
 *   FASTIFY_PORT, FASTIFY_WORKERS, FASTIFY_TLS_CERT_FILE, FASTIFY_TLS_KEY_FILE
 */
import cluster from 'node:cluster'
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'

const workers = Number(process.env.FASTIFY_WORKERS ?? 1)
const port = Number(process.env.FASTIFY_PORT ?? 0)
if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork()
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM')
    process.exit(0)
  })
} else {
  const certFile = process.env.FASTIFY_TLS_CERT_FILE
  const keyFile = process.env.FASTIFY_TLS_KEY_FILE
  const app = Fastify({
    logger: false,
    ...(certFile && keyFile ? { https: { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), minVersion: 'TLSv1.2' as const } } : {}),
  })
  app.get('/', async () => ({ hello: 'world' }))
  await app.listen({ host: '127.0.0.1', port })
  // The bench measures once every worker says so (a worker still starting would share the machine with the measurement).
  process.stdout.write('listening\n')
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)))
}
