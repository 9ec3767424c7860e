/**
 * What `pnpm token` does, as a function of its arguments: the output and exit
 * code it gives, without touching the process (infra/token-cli.ts writes and
 * exits), so tests can run every case in-process and spawn only a few.
 */
import { parseArgs } from 'node:util'
import { type AccessClaims, AUDIENCE, ROLES } from '@fare/auth'
import { mintDevToken } from './dev-auth.ts'

export interface TokenCommandResult {
  code: 0 | 2
  stdout: string
  stderr: string
}

/** A wrong argument: the command ends with exit code 2 and `message` on stderr. */
class UsageError extends Error {}

const OPTIONS = {
  role: { type: 'string' },
  sub: { type: 'string' },
  rider: { type: 'string' },
  operator: { type: 'string' },
  device: { type: 'string' },
  scope: { type: 'string' },
  audience: { type: 'string', default: 'api' },
  ttl: { type: 'string', default: '3600' },
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values']

function fail(message: string): never {
  throw new UsageError(message)
}

function readArgs(args: string[]): Values {
  try {
    return parseArgs({ args, options: OPTIONS }).values
  } catch (err) {
    return fail((err as Error).message)
  }
}

/** Who the token is for: each role names its subject its own way. */
function claimsFor(role: AccessClaims['role'], values: Values): AccessClaims {
  switch (role) {
    case 'admin':
      return { sub: values.sub ?? 'dev-admin', role }
    case 'rider':
      if (!values.rider) fail('--role rider needs --rider RIDER_ID')
      return { sub: values.rider, role }
    case 'operator':
      if (!values.operator) fail('--role operator needs --operator OPERATOR_ID')
      return { sub: values.sub ?? `dev-${values.operator}`, role, operator_id: values.operator }
    case 'device':
      if (!values.device || !values.operator) fail('--role device needs --device DEVICE_ID and --operator OPERATOR_ID')
      // A device token for the api is a kiosk's (balance:read); for ingest, a validator's.
      return {
        sub: values.device,
        role,
        operator_id: values.operator,
        scope: values.scope ?? (values.audience === 'api' ? 'balance:read' : 'taps:write denylist:read tariff:read'),
      }
  }
}

function mint(args: string[]): string {
  const values = readArgs(args)
  const role = values.role
  if (!role || !(ROLES as readonly string[]).includes(role)) fail(`--role must be one of ${ROLES.join(', ')}`)
  if (values.audience !== 'api' && values.audience !== 'ingest') fail('--audience must be api or ingest')
  if (!/^[1-9][0-9]{0,6}$/.test(values.ttl)) fail('--ttl must be a whole number of seconds')
  const claims = claimsFor(role as AccessClaims['role'], values)
  if (values.scope !== undefined && role !== 'device') fail('--scope is for device tokens only (other roles hold no scopes)')
  try {
    return mintDevToken(claims, AUDIENCE[values.audience as keyof typeof AUDIENCE], Number(values.ttl))
  } catch (err) {
    return fail((err as Error).message)
  }
}

/** Runs `pnpm token` on `args` (what follows `pnpm token`). */
export function tokenCommand(args: string[]): TokenCommandResult {
  try {
    return { code: 0, stdout: `${mint(args)}\n`, stderr: '' }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    return { code: 2, stdout: '', stderr: `pnpm token: ${err.message}\n` }
  }
}
