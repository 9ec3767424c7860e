/**
 * The stack the simulator drives: a running one (`pnpm start` in another
 * terminal) at its URLs, or, with --start, one it starts itself by running
 * infra/start.ts (Kafka, migrations, demo seed, the three services) and stops
 * at the end. start.ts's output goes to a log file, named on failure.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { REPO_ROOT } from '../repo-root.ts'

export interface StackUrls {
  readonly ingestUrl: string
  readonly apiUrl: string
  readonly ledgerUrl: string
}

export interface StartedStack {
  readonly logFile: string
  stop(): Promise<void>
}

/** Each service answers 200 on /readyz (false when `giveUp` says so first). */
export async function waitUntilReady(urls: StackUrls, options: { timeoutMs: number; giveUp?: () => string | undefined }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs
  for (const url of [urls.ingestUrl, urls.ledgerUrl, urls.apiUrl]) {
    for (;;) {
      const problem = options.giveUp?.()
      if (problem) throw new Error(problem)
      const answer = await fetch(`${url}/readyz`).then(
        (r) => (r.ok ? '' : `answered ${r.status}`),
        (err: Error) => err.message,
      )
      if (answer === '') break
      if (Date.now() > deadline) throw new Error(`${url} is not ready (${answer}); is the stack running (pnpm start), or pass --start`)
      await new Promise((r) => setTimeout(r, 300))
    }
  }
}

export async function startStack(urls: StackUrls, timeoutMs: number): Promise<StartedStack> {
  const logFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'fare-simulate-stack-')), 'stack.log')
  const log = createWriteStream(logFile)
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'infra/start.ts')], {
    cwd: REPO_ROOT,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.pipe(log)
  child.stderr?.pipe(log)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  try {
    await waitUntilReady(urls, {
      timeoutMs,
      giveUp: () => (child.exitCode !== null ? `the stack exited (${child.exitCode}); its log:\n${readFileSync(logFile, 'utf8').slice(-4000)}` : undefined),
    })
  } catch (err) {
    await stop()
    throw err
  }
  return { logFile, stop }
}
