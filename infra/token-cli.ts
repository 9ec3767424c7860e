/**
 * `pnpm token`: an access token for the local stack, signed with the local
 * development issuer key (.cache/dev-keys, made on first use). Prints only the
 * token, so `curl -H "authorization: Bearer $(pnpm -s token --role rider --rider r-1)"` works.
 *   pnpm token --role admin [--sub ID]
 *   pnpm token --role rider --rider RIDER_ID
 *   pnpm token --role operator --operator OPERATOR_ID [--sub USER_ID]
 *   pnpm token --role device --device DEVICE_ID --operator OPERATOR_ID [--scope "balance:read"] [--audience ingest]
 *   any of them: [--audience api|ingest] [--ttl SECONDS]
 */
import { parseArgs } from 'node:util'
import { type AccessClaims, AUDIENCE, ROLES } from '@fare/auth'
import { mintDevToken } from './dev-auth.ts'

function fail(message: string): never {
  console.error(`pnpm token: ${message}`)
  process.exit(2)
}

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

function readArgs() {
  try {
    return parseArgs({ options: OPTIONS }).values
  } catch (err) {
    return fail((err as Error).message)
  }
}

const values = readArgs()

const role = values.role
if (!role || !(ROLES as readonly string[]).includes(role)) fail(`--role must be one of ${ROLES.join(', ')}`)
if (values.audience !== 'api' && values.audience !== 'ingest') fail('--audience must be api or ingest')
if (!/^[1-9][0-9]{0,6}$/.test(values.ttl)) fail('--ttl must be a whole number of seconds')

/** Who the token is for: each role names its subject its own way. */
function claimsFor(role: AccessClaims['role']): AccessClaims {
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

const claims = claimsFor(role as AccessClaims['role'])
if (values.scope !== undefined && role !== 'device') fail('--scope is for device tokens only (other roles hold no scopes)')
try {
  console.log(mintDevToken(claims, AUDIENCE[values.audience as keyof typeof AUDIENCE], Number(values.ttl)))
} catch (err) {
  fail((err as Error).message)
}
