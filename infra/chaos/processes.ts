/**
 * The services as real processes, run the way production runs them (each
 * service's main.ts through tsx), with a supervisor's duties: a service that
 * exits when nobody killed it is started again (as systemd or Kubernetes
 * would), and that is reported. Each process runs in a process group of its
 * own, so a kill takes ingest's cluster workers with it, and has an IPC
 * channel, so it shuts itself down if the tool dies. Its output goes to a log
 * file of its own in the run's folder.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { appendFileSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from '../repo-root.ts'

export type ServiceName = 'ingest' | 'ledger' | 'api'

type LogLine = Record<string, unknown>

export interface RunningProcess {
  readonly pid: number
  readonly child: ChildProcess
  readonly logs: LogLine[]
  waitForLog(match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine>
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Whether it still runs. */
  alive(): boolean
}

/**
 * Starts `script`: compiled JavaScript with plain node, TypeScript through tsx.
 * stdout and stderr are appended to `logFile`.
 */
export function startScript(script: string, env: Record<string, string>, logFile: string): RunningProcess {
  const args = script.endsWith('.js') ? ['--enable-source-maps', script] : ['--import', 'tsx', script]
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  })
  if (child.pid === undefined) throw new Error(`could not start ${script}`)
  const logs: LogLine[] = []
  const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = []
  let buffered = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    appendFileSync(logFile, chunk)
    buffered += chunk.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const text of lines) {
      if (!text.trim()) continue
      let line: LogLine
      try {
        line = JSON.parse(text) as LogLine
      } catch {
        line = { msg: text }
      }
      // Only what someone waits for is kept: a long run logs a lot.
      if (/listening at|ledger started|partitions assigned/.test(String(line.msg))) logs.push(line)
      for (const w of [...waiters]) {
        if (!w.match(line)) continue
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(line)
      }
    }
  })
  child.stderr?.on('data', (chunk: Buffer) => appendFileSync(logFile, chunk))
  let done = false
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      done = true
      resolve({ code, signal })
    }),
  )
  return {
    pid: child.pid,
    child,
    logs,
    exited,
    alive: () => !done,
    waitForLog(match, timeoutMs) {
      const found = logs.find(match)
      if (found) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${path.basename(logFile)}: no matching log line within ${timeoutMs} ms (see ${logFile})`)), timeoutMs)
        waiters.push({
          match,
          resolve: (l) => {
            clearTimeout(timer)
            resolve(l)
          },
        })
        void exited.then(({ code, signal }) => {
          clearTimeout(timer)
          reject(new Error(`${path.basename(logFile)}: exited (${signal ?? code}) before it was ready (see ${logFile})`))
        })
      })
    },
  }
}

/** SIGKILLs (or signals) a whole process group; a no-op once it is gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // already gone
  }
}

/** The pids whose parent is `pid` (ingest's cluster workers), from /proc. */
export function childPids(pid: number): number[] {
  const out: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // "pid (comm) state ppid ...": comm may hold spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[1]) === pid && fields[0] !== 'Z') out.push(Number(entry))
    } catch {
      // exited while we looked
    }
  }
  return out
}

/** What the supervisor saw: a service that exited when nobody had killed it. */
export interface UnexpectedExit {
  at: Date
  service: string
  pid: number
  how: string
}

/**
 * One service (or one of two ledgers) under supervision. `kill` is a fault:
 * the supervisor does not restart what was killed on purpose; `start` does.
 */
export class SupervisedService {
  private current: RunningProcess | undefined
  private expectingExit = false
  private starts = 0

  constructor(
    readonly label: string,
    private readonly options: {
      service: ServiceName
      env: () => Record<string, string>
      ready: (line: LogLine) => boolean
      logDir: string
      readyTimeoutMs: number
      onUnexpectedExit: (exit: UnexpectedExit) => void
      /** A compiled build (`pnpm build`'s dist/ layout) to start the service from; its sources through tsx when absent. */
      build?: string | undefined
    },
  ) {}

  get pid(): number | undefined {
    return this.current?.alive() ? this.current.pid : undefined
  }

  get process(): RunningProcess | undefined {
    return this.current
  }

  /** Starts it and waits until it says it is ready. */
  async start(): Promise<RunningProcess> {
    this.starts += 1
    const logFile = path.join(this.options.logDir, `${this.label}.log`)
    appendFileSync(logFile, `\n--- chaos: start #${this.starts} at ${new Date().toISOString()} ---\n`)
    const { build, service } = this.options
    const script = build ? path.join(build, `services/${service}/main.js`) : path.join(REPO_ROOT, `services/${service}/src/main.ts`)
    const running = startScript(script, this.options.env(), logFile)
    this.current = running
    this.expectingExit = false
    void running.exited.then(({ code, signal }) => {
      if (this.current !== running || this.expectingExit) return
      this.options.onUnexpectedExit({ at: new Date(), service: this.label, pid: running.pid, how: signal ?? `exit code ${code}` })
      // A supervisor restarts what dies; the run goes on.
      void this.start().catch(() => undefined)
    })
    await running.waitForLog(this.options.ready, this.options.readyTimeoutMs)
    return running
  }

  /** Signals the whole process group; resolves once the main process has exited. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    const running = this.current
    if (!running?.alive()) return
    this.expectingExit = true
    signalGroup(running.pid, signal)
    await running.exited
  }

  /** SIGTERM and wait (a clean stop), SIGKILL if it is not gone in `graceMs`. */
  async stop(graceMs = 25_000): Promise<void> {
    const running = this.current
    if (!running?.alive()) return
    this.expectingExit = true
    signalGroup(running.pid, 'SIGTERM')
    const timer = setTimeout(() => signalGroup(running.pid, 'SIGKILL'), graceMs)
    await running.exited
    clearTimeout(timer)
    // Workers of a cluster that outlived their primary.
    signalGroup(running.pid, 'SIGKILL')
  }
}
