/**
 * The run's progress: one line redrawn in place on a terminal, a plain line
 * every few seconds otherwise (a CI log, a file), none with --quiet.
 */

export interface ProgressFigures {
  simulatedTime: string
  sent: number
  accepted: number
  settled: number
  denied: number
  pending: number
  offline: number
}

export interface Progress {
  update(figures: ProgressFigures): void
  done(): void
}

const BAR_WIDTH = 24
const PLAIN_EVERY_MS = 5000

export function createProgress(options: { quiet: boolean; stream?: NodeJS.WriteStream; fractionDone: () => number }): Progress {
  const stream = options.stream ?? process.stderr
  if (options.quiet) return { update: () => undefined, done: () => undefined }
  const line = (f: ProgressFigures) =>
    `${f.simulatedTime}  sent ${f.sent}  accepted ${f.accepted}  settled ${f.settled}  lag ${Math.max(0, f.accepted - f.settled)}` +
    `  denied ${f.denied}  pending ${f.pending}  offline validators ${f.offline}`
  if (stream.isTTY) {
    return {
      update(f) {
        const fraction = Math.min(1, Math.max(0, options.fractionDone()))
        const filled = Math.round(fraction * BAR_WIDTH)
        const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}%`
        stream.write(`\r\x1b[2K${bar} ${line(f)}`.slice(0, (stream.columns ?? 200) + 8))
      },
      done: () => stream.write('\n'),
    }
  }
  let nextAtMs = 0
  return {
    update(f) {
      if (Date.now() < nextAtMs) return
      nextAtMs = Date.now() + PLAIN_EVERY_MS
      stream.write(`simulate: ${Math.round(options.fractionDone() * 100)}% ${line(f)}\n`)
    },
    done: () => undefined,
  }
}
