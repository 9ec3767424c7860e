/**
 * Writes a bench's latest figures into docs/benchmarks.md. Only the block
 * between the bench's markers is the bench's; the rest of its section
 * (history, analysis) is written by hand and left as it is. A missing block
 * goes at the end of the section, a missing section at the end of the file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const DOC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs/benchmarks.md')

/** The markers around bench `name`'s block, e.g. "ledger" for pnpm bench:ledger (`command` says which command writes it). */
export function latestRunMarkers(name: string, command = `pnpm bench:${name}`): { start: string; end: string } {
  return { start: `<!-- bench:${name} latest run (written by ${command}) -->`, end: `<!-- /bench:${name} -->` }
}

/** `body` goes between the markers, under the heading `## {section}`. */
export function writeLatestRun(name: string, section: string, body: string, command?: string): void {
  const { start, end } = latestRunMarkers(name, command)
  const block = `${start}\n${body.trim()}\n${end}`
  let doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Benchmarks\n'
  const from = doc.indexOf(start)
  const to = doc.indexOf(end)
  if (from >= 0 && to > from) doc = doc.slice(0, from) + block + doc.slice(to + end.length)
  else {
    const heading = doc.indexOf(`## ${section}\n`)
    const next = heading >= 0 ? doc.indexOf('\n## ', heading + 3) : -1
    if (heading < 0) doc = `${doc.trimEnd()}\n\n## ${section}\n\n${block}\n`
    else if (next < 0) doc = `${doc.trimEnd()}\n\n${block}\n`
    else doc = `${doc.slice(0, next).trimEnd()}\n\n${block}\n${doc.slice(next)}`
  }
  writeFileSync(DOC, doc)
  console.log(`wrote the latest run into ${path.relative(process.cwd(), DOC)}`)
}
