/**
 * Deny list and tariff distribution: versioned deltas that collapse each
 * card's changes to its last action, the full list without `since`, and
 * ETag / 304 so a validator polling often downloads only what changed.
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { feedDigest, readFeedFolder, saveTariffVersion } from '@fare/tariffs'
import t from 'tap'
import { TapStore } from '../../infra/validator/store.ts'
import { RetryableError, Validator } from '../../infra/validator/validator.ts'
import { freePort } from '../support/process.ts'
import { DEMO_TARIFF_FOLDER } from '../support/stack.ts'
import { startEdgeStack } from './support.ts'

const stack = await startEdgeStack('distrib')
t.teardown(() => stack.close())
const { db } = stack.database
const keys = await stack.registerDevice('val-dist-1')
const token = await stack.deviceToken('val-dist-1', keys.privateKeyPem)
const get = (url: string, headers: Record<string, string> = {}) =>
  stack.ingest.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, ...headers } })

/** What the ledger does: a change row, and the current list kept in step. */
async function change(cardToken: string, action: 'add' | 'remove'): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.insertInto('deny_list_changes').values({ card_token: cardToken, action }).returning('version').executeTakeFirstOrThrow()
    if (action === 'add')
      await trx
        .insertInto('deny_list')
        .values({ card_token: cardToken, version: row.version })
        .onConflict((oc) => oc.column('card_token').doUpdateSet({ version: row.version }))
        .execute()
    else await trx.deleteFrom('deny_list').where('card_token', '=', cardToken).execute()
    return row.version
  })
}

t.test('deny list: empty, full, deltas, 304', async (t) => {
  const empty = await get('/v1/deny-list')
  t.equal(empty.statusCode, 200)
  t.same(empty.json(), { version: '0', full: true, added: [], removed: [] })
  t.equal(empty.headers.etag, '"v0"')

  await change('ct_deny_a', 'add')
  await change('ct_deny_b', 'add')
  const v2 = await change('ct_deny_c', 'add')
  const full = await get('/v1/deny-list')
  t.same(full.json(), { version: v2, full: true, added: ['ct_deny_a', 'ct_deny_b', 'ct_deny_c'], removed: [] })

  await change('ct_deny_a', 'remove')
  await change('ct_deny_d', 'add')
  await change('ct_deny_d', 'remove')
  const v6 = await change('ct_deny_b', 'add')
  const delta = await get(`/v1/deny-list?since=${v2}`)
  t.equal(delta.statusCode, 200)
  t.same(delta.json(), { version: v6, full: false, added: ['ct_deny_b'], removed: ['ct_deny_a', 'ct_deny_d'] }, "each card's last action since the version")
  t.equal(delta.headers.etag, `"v${v6}"`)

  const notModified = await get(`/v1/deny-list?since=${v6}`, { 'if-none-match': `"v${v6}"` })
  t.equal(notModified.statusCode, 304)
  t.equal(notModified.body, '')
  t.same((await get(`/v1/deny-list?since=${v6}`)).json(), { version: v6, full: false, added: [], removed: [] })
  const ahead = await get('/v1/deny-list?since=999999')
  t.same(ahead.json(), { version: v6, full: true, added: ['ct_deny_b', 'ct_deny_c'], removed: [] }, 'a validator ahead of the server starts over')

  for (const bad of ['-1', 'abc', '1.5', '99999999999999999999']) {
    const res = await get(`/v1/deny-list?since=${bad}`)
    t.equal(res.statusCode, 400, `since=${bad}`)
    t.equal((res.json() as { error: { code: string } }).error.code, 'REQUEST_INVALID')
  }
  t.equal((await get('/v1/deny-list?other=1')).statusCode, 400, 'unknown query field')
  const scoped = await stack.ingest.inject({
    method: 'GET',
    url: '/v1/deny-list',
    headers: { authorization: `Bearer ${stack.issuer.deviceToken('val-dist-1', 'op-edge', 'taps:write')}` },
  })
  t.equal(scoped.statusCode, 403)
})

t.test('deny list unreachable: the validator is told to retry, then syncs once ingest answers', async (t) => {
  // A raw network error here once ended the city simulator's validator loop while chaos had ingest down.
  const apiUrl = await stack.api.listen({ host: '127.0.0.1', port: 0 })
  const storeDir = mkdtempSync(path.join(tmpdir(), 'fare-distrib-store-'))
  t.teardown(() => rmSync(storeDir, { recursive: true, force: true }))
  const validatorFor = (ingestUrl: string) =>
    new Validator({ deviceId: 'val-dist-1', privateKeyPem: keys.privateKeyPem, ingestUrl, apiUrl, store: new TapStore(storeDir) })

  const nothingListens = validatorFor(`http://127.0.0.1:${await freePort()}`)
  t.teardown(() => nothingListens.close())
  await t.rejects(nothingListens.syncDenyList(), RetryableError, 'a RetryableError, which the validator loop retries')

  const ingestUrl = await stack.ingest.listen({ host: '127.0.0.1', port: 0 })
  const reachable = validatorFor(ingestUrl)
  t.teardown(() => reachable.close())
  t.equal(await reachable.syncDenyList(), true, 'the list is fetched once ingest answers')
  t.equal(reachable.isDenied('ct_deny_b'), true, 'and applied')
})

t.test('tariff: 404 before any, then the version in force with ETag', async (t) => {
  const none = await get('/v1/tariff')
  t.equal(none.statusCode, 404)
  t.equal((none.json() as { error: { code: string } }).error.code, 'TARIFF_NOT_FOUND')

  // Three versions of the demo tariff told apart by the agency names, so each has its own digest.
  const demo = readFeedFolder(DEMO_TARIFF_FOLDER)
  const labelled = (label: string) => ({ ...demo, 'agency.txt': (demo['agency.txt'] ?? '').replaceAll('(demo)', `(${label})`) })
  const spring = labelled('spring')
  const past = await saveTariffVersion(db, { name: 'spring', effectiveFrom: '2026-03-01T00:00:00+02:00', files: spring })
  await saveTariffVersion(db, { name: 'older', effectiveFrom: '2025-03-01T00:00:00+02:00', files: labelled('older') })
  const future = await saveTariffVersion(db, { name: 'next year', effectiveFrom: '2099-01-01T00:00:00Z', files: labelled('next year') })
  const springDigest = feedDigest(spring)

  const res = await get('/v1/tariff')
  t.equal(res.statusCode, 200)
  t.match(res.json(), {
    version: past,
    name: 'spring',
    effectiveFrom: '2026-02-28T22:00:00.000Z',
    sha256: springDigest,
    download: `/v1/tariff/${past}/feed`,
    next: { version: future, name: 'next year' },
  })
  const etag = res.headers.etag as string
  t.ok(etag.includes(springDigest))
  t.equal((await get('/v1/tariff', { 'if-none-match': etag })).statusCode, 304)

  const feed = await get(`/v1/tariff/${past}/feed`)
  t.equal(feed.statusCode, 200)
  t.same((feed.json() as { files: unknown }).files, spring)
  t.equal((await get(`/v1/tariff/${past}/feed`, { 'if-none-match': `"${springDigest}"` })).statusCode, 304)
  t.equal((await get('/v1/tariff/424242/feed')).statusCode, 404)
})
