/** The run's result as text: what was injected when, and which checks held. */
import type { ChaosResult } from './run.ts'

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  // The last column is free text: not padded, so long details wrap in the terminal rather than widen every row.
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(header), line(widths.map((w, i) => (i === widths.length - 1 ? '-'.repeat(Math.min(w, 40)) : '-'.repeat(w)))), ...rows.map(line)].join('\n')
}

export function formatReport(result: ChaosResult): string {
  const out: string[] = []
  out.push(`FAULTS INJECTED (seed ${result.seed})`)
  out.push(
    table(
      ['#', 'at (UTC)', 'fault', 'took', 'result', 'what happened'],
      result.faults.map((f, i) => [String(i + 1), f.at.toISOString().slice(11, 23), f.kind, `${f.seconds.toFixed(1)} s`, f.ok ? 'done' : 'FAILED', f.detail]),
    ),
  )
  if (result.unexpectedExits.length > 0) {
    out.push('', 'SERVICES THAT EXITED BY THEMSELVES (started again by the supervisor)')
    out.push(
      table(
        ['at (UTC)', 'service', 'how'],
        result.unexpectedExits.map((e) => [e.at.toISOString().slice(11, 23), e.service, e.how]),
      ),
    )
  }
  const l = result.load
  out.push(
    '',
    `LOAD: ${l.recorded} taps recorded by the validators, ${l.accepted} accepted, ${l.refused} refused, ${l.failedUploads} uploads failed and were retried`,
  )
  out.push('', 'CHECKS')
  out.push(
    table(
      ['check', 'result', 'detail'],
      result.checks.map((c) => [c.name, c.held ? 'held' : 'FAILED', c.detail]),
    ),
  )
  const failed = result.checks.filter((c) => !c.held).length
  out.push('')
  out.push(failed === 0 ? `chaos: every check held` : `chaos: ${failed} check(s) FAILED`)
  if (result.runDirKept) out.push(`service logs and validator stores: ${result.runDir}`)
  return out.join('\n')
}
