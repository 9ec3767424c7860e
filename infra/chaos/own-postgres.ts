/**
 * A PostgreSQL cluster of its own (initdb in a temporary folder, on a free
 * port, trust authentication on loopback), so a fault tool can restart or
 * crash "the database" without touching the shared server on 5432 or anyone
 * else's. Postgres refuses to run as root: as root, the server and its tools
 * run as the `postgres` OS user, which owns the folder.
 */
import { spawn } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import path from 'node:path'
import { createDb } from '@fare/db'
import { sql } from 'kysely'

const PG_BIN = process.env.PG_BIN ?? findPgBin()

function findPgBin(): string {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  // Without a Debian layout, initdb and pg_ctl must be on PATH.
  return versions[0] === undefined ? '' : path.join(root, versions[0], 'bin')
}

export interface OwnPostgres {
  readonly port: number
  readonly dataDir: string
  /** A URL to `database` on this cluster as `user` (default postgres). */
  url(database: string, user?: string): string
  /** initdb (first time only) and start; resolves once it accepts connections. */
  start(): Promise<void>
  /** `pg_ctl restart`: `fast` ends sessions politely, `immediate` is a crash (recovery from the WAL on start). */
  restart(mode: 'fast' | 'immediate'): Promise<void>
  stop(mode?: 'fast' | 'immediate'): Promise<void>
  /** Stops the server and deletes its folder. */
  destroy(): Promise<void>
}

export function createOwnPostgres(options: { name: string; port: number }): OwnPostgres {
  const home = mkdtempSync(path.join(tmpdir(), `fare-${options.name}-pg-`))
  const dataDir = path.join(home, 'data')
  const logFile = path.join(home, 'postgres.log')
  const asRoot = userInfo().uid === 0
  if (asRoot) {
    const owner = osUserId('postgres')
    chownSync(home, owner.uid, owner.gid)
  }

  const run = (tool: string, args: string[]): Promise<void> =>
    new Promise((resolve, reject) => {
      const bin = PG_BIN ? path.join(PG_BIN, tool) : tool
      const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args]
      const child = spawn(command as string, argv as string[], { stdio: ['ignore', 'pipe', 'pipe'] })
      let output = ''
      child.stdout.on('data', (c: Buffer) => (output += c.toString()))
      child.stderr.on('data', (c: Buffer) => (output += c.toString()))
      child.on('error', reject)
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${tool} ${args.join(' ')} exited ${code}: ${output.trim()}`))))
    })

  const url = (database: string, user = 'postgres') => `postgres://${user}@127.0.0.1:${options.port}/${database}`

  /** Until a connection succeeds: pg_ctl -w waits too, but a restart after a crash may still be recovering. */
  async function waitAccepting(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const db = createDb(url('postgres'), { maxConnections: 1, applicationName: 'chaos-probe' })
      try {
        await sql`select 1`.execute(db)
        return
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`own Postgres on port ${options.port} not accepting connections: ${(err as Error).message}`)
      } finally {
        await db.destroy().catch(() => undefined)
      }
      await new Promise((r) => setTimeout(r, 200))
    }
  }

  const pgCtl = (...args: string[]) => run('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '120', ...args])

  return {
    port: options.port,
    dataDir,
    url,
    async start() {
      if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
        await run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'])
        writeFileSync(
          path.join(dataDir, 'postgresql.auto.conf'),
          [
            `port = ${options.port}`,
            `listen_addresses = '127.0.0.1'`,
            // No socket in /var/run/postgresql: that is the shared server's.
            `unix_socket_directories = '${home}'`,
            'max_connections = 60',
            'shared_buffers = 32MB',
            '',
          ].join('\n'),
        )
      }
      await pgCtl('start')
      await waitAccepting()
    },
    async restart(mode) {
      await pgCtl('restart', '-m', mode)
      await waitAccepting()
    },
    async stop(mode = 'fast') {
      if (!existsSync(path.join(dataDir, 'postmaster.pid'))) return
      await pgCtl('stop', '-m', mode)
    },
    async destroy() {
      await this.stop('immediate').catch(() => undefined)
      rmSync(home, { recursive: true, force: true })
    },
  }
}

function osUserId(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`))
  if (!line) throw new Error(`running as root, Postgres needs the OS user ${name}, which does not exist`)
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}
