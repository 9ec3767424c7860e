/** No card token, bearer token or key reaches a log line in clear. */

import { Writable } from 'node:stream'
import t from 'tap'
import { createLogger, maskCardTokenInUrl } from '../src/logger.ts'

t.test('secrets are redacted', async (t) => {
  const lines: string[] = []
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString())
      done()
    },
  })
  const logger = createLogger({ level: 'info', name: 'test' }, sink)
  logger.info(
    {
      cardToken: 'ct_secret_1',
      tap: { cardToken: 'ct_secret_2' },
      taps: [{ cardToken: 'ct_secret_3' }],
      req: { headers: { authorization: 'Bearer abc.def' } },
    },
    'hello',
  )
  logger.info({ req: { method: 'GET', url: '/v1/cards/ct_secret_4/balance' } }, 'request')
  const out = lines.join('')
  for (const secret of ['ct_secret_1', 'ct_secret_2', 'ct_secret_3', 'ct_secret_4', 'abc.def']) t.notMatch(out, secret, `${secret} not logged`)
  t.match(out, '[redacted]')
})

t.test('card tokens in URLs are masked', async (t) => {
  t.equal(maskCardTokenInUrl('/v1/cards/ct_abc/balance?x=1'), '/v1/cards/[card]/balance?x=1')
  t.equal(maskCardTokenInUrl('/v1/taps'), '/v1/taps')
})
