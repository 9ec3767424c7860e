/**
 * `pnpm token`: an access token for the local stack, signed with the local
 * development issuer key (.cache/dev-keys, made on first use). Prints only the
 * token, so `curl -H "authorization: Bearer $(pnpm -s token --role rider --rider r-1)"` works.
 *   pnpm token --role admin [--sub ID]
 *   pnpm token --role rider --rider RIDER_ID
 *   pnpm token --role operator --operator OPERATOR_ID [--sub USER_ID]
 *   pnpm token --role device --device DEVICE_ID --operator OPERATOR_ID [--scope "balance:read"] [--audience ingest]
 *   any of them: [--audience api|ingest] [--ttl SECONDS]
 * Wrong arguments: exit 2, the reason on stderr, no token.
 */
import { tokenCommand } from './token-command.ts'

const { code, stdout, stderr } = tokenCommand(process.argv.slice(2))
process.stdout.write(stdout)
process.stderr.write(stderr)
process.exitCode = code
