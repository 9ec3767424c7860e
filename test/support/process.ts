/** Runs a service's main.ts as a real child process, as production does, and reads its JSON log lines. */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export interface ServiceProcess {
  child: ChildProcess
  logs: Record<string, unknown>[]
  stderr: string[]
  /** Resolves with the first log line that satisfies `match`. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export function startService(service: 'ingest' | 'ledger' | 'api', env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, `services/${service}/src/main.ts`)], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logs: Record<string, unknown>[] = []
  const stderr: string[] = []
  const waiters: { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = []
  let buffered = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
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
      for (const w of [...waiters]) if (w.match(line)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(line))
    }
  })
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  return {
    child,
    logs,
    stderr,
    exited,
    waitForLog(match, timeoutMs = 30_000) {
      const found = logs.find(match)
      if (found) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr.join('')}`)), timeoutMs)
        waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) })
        void exited.then(() => reject(new Error(`process exited; stderr: ${stderr.join('')}`)))
      })
    },
  }
}

export function listeningUrl(line: Record<string, unknown>): string {
  const match = /listening at (\S+)/.exec(String(line.msg))
  if (!match?.[1]) throw new Error(`not a listening line: ${String(line.msg)}`)
  return match[1]
}
