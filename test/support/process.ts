/**
 * Runs a service's main (or any node script of the repo; both compiled, see
 * entries.ts) as a real child process, as production does, and reads its JSON
 * log lines.
 *
 * Every process started here is stopped when its test ends, passed or failed:
 * it runs in a process group of its own (detached), and the test's teardown
 * kills the whole group, so ingest's cluster workers and start.ts's services
 * go with it. It also gets an IPC channel, so a service shuts itself down if
 * the test runner itself dies. Waits are on conditions with generous
 * deadlines: a busy machine is slow, never wrong.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { REPO_ROOT, type ServiceName, serviceCommand } from './entries.ts'

export { REPO_ROOT }

/** Long enough for a service to start on a loaded 2-core machine. */
export const START_TIMEOUT_MS = 120_000

/** The part of a tap test this module needs: somewhere to register the cleanup. */
export interface Teardown {
  teardown(fn: () => unknown): void
}

export interface ServiceProcess {
  child: ChildProcess
  pid: number
  logs: Record<string, unknown>[]
  stderr: string[]
  /** Everything written to stdout that was not a JSON line (start.ts's own output). */
  text(): string
  /** Resolves with the first log line that satisfies `match`. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export function startService(t: Teardown, service: ServiceName, env: Record<string, string>): ServiceProcess {
  return startNode(t, serviceCommand(service), { LOG_LEVEL: 'info', ...env })
}

/** Starts `node <args>` (see entries.ts for the args of each script). */
export function startNode(t: Teardown, args: string[], env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  })
  if (child.pid === undefined) throw new Error(`could not start node ${args.join(' ')}`)
  const pid = child.pid
  t.teardown(() => killGroup(pid))
  const logs: Record<string, unknown>[] = []
  const stderr: string[] = []
  let stdoutText = ''
  const waiters: { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = []
  let buffered = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    stdoutText += chunk.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const text of lines) {
      if (!text.trim()) continue
      let line: Record<string, unknown>
      try {
        line = JSON.parse(text) as Record<string, unknown>
      } catch {
        line = { msg: text }
      }
      logs.push(line)
      for (const w of [...waiters]) {
        if (!w.match(line)) continue
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(line)
      }
    }
  })
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  return {
    child,
    pid,
    logs,
    stderr,
    exited,
    text: () => stdoutText,
    waitForLog(match, timeoutMs = START_TIMEOUT_MS) {
      const found = logs.find(match)
      if (found) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr.join('')}`)), timeoutMs)
        waiters.push({
          match,
          resolve: (l) => {
            clearTimeout(timer)
            resolve(l)
          },
        })
        void exited.then(() => {
          clearTimeout(timer)
          reject(new Error(`process exited; stderr: ${stderr.join('')}`))
        })
      })
    },
  }
}

/** SIGKILLs a process group (a no-op once it is gone). */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

/** Whether `pid` runs (a zombie, exited but not yet reaped, does not). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** The pids of `pid`'s descendants, read from /proc (children, their children, ...). */
/** A process's command line (for messages), or its pid when it has gone. */
export function commandLine(pid: number): string {
  try {
    return `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()}`
  } catch {
    return String(pid)
  }
}

export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      parentOf.set(Number(entry), ppid)
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = []
  let frontier = [pid]
  while (frontier.length > 0) {
    const next = [...parentOf].filter(([, ppid]) => frontier.includes(ppid)).map(([child]) => child)
    found.push(...next)
    frontier = next
  }
  return found
}

export function listeningUrl(line: Record<string, unknown>): string {
  const match = /listening at (\S+)/.exec(String(line.msg))
  if (!match?.[1]) throw new Error(`not a listening line: ${String(line.msg)}`)
  return match[1]
}

/** A port free on 127.0.0.1 at the time of asking (for a process that must be given its port up front). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}
