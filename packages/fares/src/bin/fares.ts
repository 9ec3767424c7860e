/** The `fares` process: reads standard input, prints one JSON document, exits 0 / 2 / 3 (docs/fares.md section 6). */
import { readFileSync } from 'node:fs'
import { runCli } from '../cli.ts'

let stdinText = ''
try {
  stdinText = readFileSync(0, 'utf8')
} catch {
  stdinText = '' // no standard input: the request is then invalid, which runCli reports
}
const outcome = runCli(process.argv.slice(2), stdinText)
process.stdout.write(`${JSON.stringify(outcome.output)}\n`)
process.exitCode = outcome.exitCode
