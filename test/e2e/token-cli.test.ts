/**
 * `pnpm token` prints just a token (so `$(pnpm -s token ...)` works) that the
 * local stack accepts: signed with the dev issuer key, for the api unless told,
 * with the claims of the role asked for. Wrong arguments exit 2, print no token.
 *
 * Two cases run as real processes, at once: one through pnpm as a user types
 * it, one wrong-arguments case through the script itself (its exit code is the
 * process's). The rest call the command's function in-process: each process
 * start costs seconds on a busy machine, and the script is only that function
 * writing its result and exiting with its code.
 */

import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { AUDIENCE, verifyAccessToken } from '@fare/auth'
import t from 'tap'
import { devKeys } from '../../infra/dev-auth.ts'
import { tokenCommand } from '../../infra/token-command.ts'
import { REPO_ROOT } from '../support/process.ts'

const run = promisify(execFile)

interface Outcome {
  code: number
  stdout: string
  stderr: string
}

/** `command args...` as a child process, to its end. */
async function spawned(command: string, args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(command, args, { cwd: REPO_ROOT, timeout: 120_000 })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const failed = err as Outcome
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

const viaPnpm = (args: string[]) => spawned('pnpm', ['-s', 'token', ...args])
const viaScript = (args: string[]) => spawned(process.execPath, ['--import', 'tsx', 'infra/token-cli.ts', ...args])
const inProcess = async (args: string[]) => tokenCommand(args)

// The two subtests at once, so their two processes start together.
t.jobs = 2

t.test('one token per role, verified as the api verifies it', async (t) => {
  const { publicKeyPem } = devKeys()
  const cases = [
    { run: viaPnpm, args: ['--role', 'rider', '--rider', 'rider-7'], claims: { role: 'rider', sub: 'rider-7' }, audience: AUDIENCE.api },
    {
      run: inProcess,
      args: ['--role', 'operator', '--operator', 'lutsk-bus'],
      claims: { role: 'operator', operator_id: 'lutsk-bus' },
      audience: AUDIENCE.api,
    },
    {
      run: inProcess,
      args: ['--role', 'device', '--device', 'kiosk-1', '--operator', 'lutsk-bus'],
      claims: { role: 'device', sub: 'kiosk-1', scope: 'balance:read' },
      audience: AUDIENCE.api,
    },
    {
      run: inProcess,
      args: ['--role', 'device', '--device', 'validator-1', '--operator', 'lutsk-bus', '--audience', 'ingest'],
      claims: { role: 'device', scope: 'taps:write denylist:read tariff:read' },
      audience: AUDIENCE.ingest,
    },
  ]
  const outcomes = await Promise.all(cases.map((c) => c.run(c.args)))
  for (const [i, c] of cases.entries()) {
    const out = outcomes[i] as Outcome
    t.equal(out.code, 0, c.args.join(' '))
    t.match(out.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, 'stdout is the token and a newline, nothing else')
    t.match(verifyAccessToken(out.stdout.trim(), publicKeyPem, c.audience), c.claims)
  }
})

t.test('wrong arguments: exit 2, a reason on stderr, no token', async (t) => {
  const cases = [
    { run: viaScript, args: ['--role', 'root'] },
    { run: inProcess, args: ['--role', 'rider'] },
    { run: inProcess, args: ['--role', 'admin', '--scope', 'balance:read'] },
    { run: inProcess, args: ['--role', 'device', '--device', 'k-1', '--operator', 'op', '--scope', 'everything'] },
  ]
  const outcomes = await Promise.all(cases.map((c) => c.run(c.args)))
  for (const [i, c] of cases.entries()) {
    const out = outcomes[i] as Outcome
    t.equal(out.code, 2, c.args.join(' '))
    t.equal(out.stdout, '')
    t.match(out.stderr, /^pnpm token: /)
  }
})
