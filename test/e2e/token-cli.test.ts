/**
 * `pnpm token` prints just a token (so `$(pnpm -s token ...)` works) that the
 * local stack accepts: signed with the dev issuer key, for the api unless told,
 * with the claims of the role asked for. Wrong arguments exit 2, print no token.
 */

import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { AUDIENCE, verifyAccessToken } from '@fare/auth'
import t from 'tap'
import { devKeys } from '../../infra/dev-auth.ts'
import { REPO_ROOT } from '../support/process.ts'

const run = promisify(execFile)

/** Through pnpm as a user types it for the first case; the script itself after (each start costs seconds). */
let viaPnpm = true
async function token(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const [command, prefix] = viaPnpm ? ['pnpm', ['-s', 'token']] : [process.execPath, ['--import', 'tsx', 'infra/token-cli.ts']]
  viaPnpm = false
  try {
    const { stdout, stderr } = await run(command as string, [...(prefix as string[]), ...args], { cwd: REPO_ROOT, timeout: 120_000 })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

t.test('one token per role, verified as the api verifies it', async (t) => {
  const { publicKeyPem } = devKeys()
  const cases = [
    { args: ['--role', 'rider', '--rider', 'rider-7'], claims: { role: 'rider', sub: 'rider-7' }, audience: AUDIENCE.api },
    { args: ['--role', 'operator', '--operator', 'lutsk-bus'], claims: { role: 'operator', operator_id: 'lutsk-bus' }, audience: AUDIENCE.api },
    {
      args: ['--role', 'device', '--device', 'kiosk-1', '--operator', 'lutsk-bus'],
      claims: { role: 'device', sub: 'kiosk-1', scope: 'balance:read' },
      audience: AUDIENCE.api,
    },
    {
      args: ['--role', 'device', '--device', 'validator-1', '--operator', 'lutsk-bus', '--audience', 'ingest'],
      claims: { role: 'device', scope: 'taps:write denylist:read tariff:read' },
      audience: AUDIENCE.ingest,
    },
  ]
  for (const c of cases) {
    const out = await token(...c.args)
    t.equal(out.code, 0, c.args.join(' '))
    t.match(out.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, 'stdout is the token and a newline, nothing else')
    t.match(verifyAccessToken(out.stdout.trim(), publicKeyPem, c.audience), c.claims)
  }
})

t.test('wrong arguments: exit 2, a reason on stderr, no token', async (t) => {
  for (const args of [
    ['--role', 'root'],
    ['--role', 'rider'],
    ['--role', 'admin', '--scope', 'balance:read'],
    ['--role', 'device', '--device', 'k-1', '--operator', 'op', '--scope', 'everything'],
  ]) {
    const out = await token(...args)
    t.equal(out.code, 2, args.join(' ') || '(no arguments)')
    t.equal(out.stdout, '')
    t.match(out.stderr, /^pnpm token: /)
  }
})
