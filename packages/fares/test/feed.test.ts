/**
 * The feed loader: published-feed CSV quirks read the obvious way; what makes
 * a price unknowable is FEED_INVALID naming file, line and field; slips with
 * one obvious reading are warnings.
 */

import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deflateRawSync } from 'node:zlib'
import t from 'tap'
import { type FareError, loadFeed, loadFeedFromFiles, priceJourney, rate, toJson } from '../src/index.ts'
import { demoTariff, feed } from './helpers.ts'

/** The error a build throws, or undefined. */
function caught(build: () => unknown): unknown {
  try {
    build()
  } catch (error) {
    return error
  }
  return undefined
}

t.test('CSV quirks: BOM, CRLF, quotes, stray spaces and tabs, short rows', async (t) => {
  const tariff = loadFeedFromFiles({
    'agency.txt': '\uFEFFagency_id,agency_name,agency_url,agency_timezone\r\n a , "Agency, with comma" ,https://a,\tEurope/Kyiv\r\n',
    'routes.txt': 'route_id,agency_id,route_type,network_id\r\n"r1",a,3,n1\r\nr2,a\r\n',
    'fare_products.txt': 'fare_product_id,fare_product_name,amount,currency\n"p1","Single ""fare""", 10 ,UAH\n\n',
    'fare_leg_rules.txt': 'leg_group_id,network_id,fare_product_id\ng1,n1,p1\ng2,,p1\n',
  })
  t.equal(tariff.routes.get('r2')?.networkId, '', 'short row: missing fields are empty')
  t.equal(tariff.products.get('p1')?.[0]?.productName, 'Single "fare"')
  const result = priceJourney(tariff, { legs: [{ routeId: 'r2', departure: '2026-01-05T10:00:00+02:00' }] })
  t.equal(result.total.toFixed(2), '10.00', 'empty network matches the unlisted network')
})

t.test('dangling references and bad values are FEED_INVALID with file, line and field', async (t) => {
  t.match(
    caught(() => feed({ 'fare_leg_rules.txt': ['network_id,fare_product_id', 'n1,p1', 'n1,nope'] })),
    { code: 'FEED_INVALID', details: { file: 'fare_leg_rules.txt', field: 'fare_product_id', line: 3 } },
  )
  t.match(
    caught(() => feed({ 'fare_leg_rules.txt': ['network_id,from_area_id,fare_product_id', 'n1,z9,p1'], 'areas.txt': ['area_id', 'z1'] })),
    { code: 'FEED_INVALID', details: { file: 'fare_leg_rules.txt', field: 'from_area_id', line: 2 } },
  )
  t.match(
    caught(() => feed({ 'fare_products.txt': ['fare_product_id,amount,currency', 'p1,1e3,UAH'] })),
    { code: 'FEED_INVALID', details: { file: 'fare_products.txt', field: 'amount', line: 2 } },
  )
  t.match(
    caught(() => feed({ 'fare_products.txt': ['fare_product_id,amount,currency', 'p1,10,UAH', 'p1,11,UAH'] })),
    { code: 'FEED_INVALID', details: { file: 'fare_products.txt', field: 'fare_product_id', line: 3 } },
  )
  t.match(
    caught(() => feed({ 'fare_transfer_rules.txt': ['from_leg_group_id,to_leg_group_id,fare_transfer_type', 'g1,g1,0'] })),
    { code: 'FEED_INVALID', details: { file: 'fare_transfer_rules.txt', field: 'transfer_count', line: 2 } },
  )
  t.match(
    caught(() => feed({ 'fare_transfer_rules.txt': ['from_leg_group_id,to_leg_group_id,duration_limit,fare_transfer_type', 'g1,g2,3600,0'] })),
    { code: 'FEED_INVALID', details: { file: 'fare_transfer_rules.txt', field: 'duration_limit_type', line: 2 } },
  )
  t.match(
    caught(() => feed({ 'fare_transfer_rules.txt': ['from_leg_group_id,to_leg_group_id,fare_transfer_type', 'g1,g9,0'] })),
    { code: 'FEED_INVALID', details: { file: 'fare_transfer_rules.txt', field: 'to_leg_group_id', line: 2 } },
  )
  t.match(
    caught(() =>
      feed({
        'calendar.txt': ['service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date', 'wk,1,1,1,1,1,0,0,20260101,20261231'],
        'timeframes.txt': ['timeframe_group_id,start_time,end_time,service_id', 'peak,07:00:00,10:00:00,wk', 'peak,09:00:00,12:00:00,wk'],
      }),
    ),
    { code: 'FEED_INVALID', details: { file: 'timeframes.txt', field: 'start_time', line: 3 } },
  )
  t.match(
    caught(() =>
      feed({
        'calendar.txt': ['service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date', 'wk,1,1,1,1,1,0,0,20260101,20261231'],
        'timeframes.txt': ['timeframe_group_id,start_time,end_time,service_id', 'peak,7:0:00,10:00:00,wk'],
      }),
    ),
    { code: 'FEED_INVALID', details: { file: 'timeframes.txt', field: 'start_time', line: 2 } },
  )
  t.match(
    caught(() =>
      feed({
        'rider_categories.txt': ['rider_category_id,is_default_fare_category', 'adult,1', 'senior,1'],
        'fare_products.txt': ['fare_product_id,rider_category_id,amount,currency', 'p1,adult,10,UAH', 'p1,senior,5,UAH'],
      }),
    ),
    { code: 'FEED_INVALID', details: { file: 'fare_products.txt', field: 'rider_category_id' } },
  )
  t.match(
    caught(() => feed({ 'agency.txt': ['agency_id,agency_name,agency_url,agency_timezone', 'a,A,https://a,Mars/Olympus'] })),
    { code: 'FEED_INVALID', details: { file: 'agency.txt', field: 'agency_timezone', line: 2 } },
  )
  t.match(
    caught(() => feed({ 'fare_leg_rules.txt': undefined })),
    { code: 'FEED_INVALID', details: { file: 'fare_leg_rules.txt', field: '*' } },
  )
  t.match(
    caught(() => feed({ 'fare_caps.txt': ['cap_id,amount,currency,period', 'c1,50.00,UAH,fortnight'] })),
    { code: 'FEED_INVALID', details: { file: 'fare_caps.txt', field: 'period', line: 2 } },
  )
  t.match(
    caught(() => feed({ 'fare_caps.txt': ['cap_id,amount,currency,period', 'c1,50.00,UAH,rolling'] })),
    { code: 'FEED_INVALID', details: { file: 'fare_caps.txt', field: 'duration_days', line: 2 } },
  )
  t.match(
    caught(() => feed({ 'fare_caps.txt': ['cap_id,amount,currency,period,network_id', 'c1,50.00,UAH,day,tram'] })),
    { code: 'FEED_INVALID', details: { file: 'fare_caps.txt', field: 'network_id', line: 2 } },
  )
  t.match(
    caught(() => feed({ 'stop_areas.txt': ['area_id,stop_id', 'z1,s1'], 'areas.txt': ['area_id', 'z1'] })),
    { code: 'FEED_INVALID', details: { file: 'stops.txt', field: '*' } },
  )
})

t.test('slips with one obvious reading are warnings', async (t) => {
  const tariff = feed({
    'fare_transfer_rules.txt': ['from_leg_group_id,to_leg_group_id,transfer_count,fare_transfer_type,colour', 'g1,g2,1,0,red'],
  })
  t.ok(
    tariff.warnings.some((w) => w.field === 'transfer_count' && w.line === 2),
    'transfer_count on differing groups',
  )
  t.ok(
    tariff.warnings.some((w) => w.field === 'colour' && w.line === 1),
    'unknown column',
  )
  t.equal(tariff.fareTransferRules[0]?.transferCount, undefined, 'ignored')
})

function zip(files: Record<string, string>): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const [name, text] of Object.entries(files)) {
    const data = deflateRawSync(Buffer.from(text))
    const nameBuf = Buffer.from(name)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(8, 8)
    local.writeUInt32LE(data.length, 18)
    local.writeUInt32LE(text.length, 22)
    local.writeUInt16LE(nameBuf.length, 26)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(8, 10)
    central.writeUInt32LE(data.length, 20)
    central.writeUInt32LE(text.length, 24)
    central.writeUInt16LE(nameBuf.length, 28)
    central.writeUInt32LE(offset, 42)
    locals.push(local, nameBuf, data)
    centrals.push(central, nameBuf)
    offset += 30 + nameBuf.length + data.length
  }
  const cd = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(Object.keys(files).length, 8)
  end.writeUInt16LE(Object.keys(files).length, 10)
  end.writeUInt32LE(cd.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, cd, end])
}

t.test('loads a zipped feed like a folder', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fares-zip-'))
  const path = join(dir, 'feed.zip')
  writeFileSync(
    path,
    zip({
      'gtfs/agency.txt': 'agency_id,agency_name,agency_url,agency_timezone\na,A,https://a,Europe/Kyiv\n',
      'gtfs/routes.txt': 'route_id,agency_id,route_type,network_id\nr1,a,3,n1\n',
      'gtfs/fare_products.txt': 'fare_product_id,amount,currency\np1,8.00,UAH\n',
      'gtfs/fare_leg_rules.txt': 'network_id,fare_product_id\nn1,p1\n',
    }),
  )
  const tariff = loadFeed(path)
  t.equal(priceJourney(tariff, { legs: [{ routeId: 'r1', departure: '2026-01-05T10:00:00+02:00' }] }).total.toFixed(2), '8.00')
  try {
    loadFeed(join(dir, 'missing'))
    t.fail('expected an error')
  } catch (error) {
    t.equal((error as FareError).code, 'FEED_INVALID')
  }
})

t.test('the demo tariff loads without warnings and is tap-on only', async (t) => {
  const tariff = demoTariff()
  t.same(tariff.warnings, [])
  t.equal(tariff.currency, 'UAH')
  t.ok(tariff.tapOnOnlyNetworkIds.has('bus') && tariff.tapOnOnlyNetworkIds.has('trolleybus'))
  t.equal(tariff.caps.length, 4)
})

t.test('amounts the exact integer money scheme cannot carry are FEED_INVALID at load; "-0" is 0', async (t) => {
  const products = (...rows: string[]): string[] => ['fare_product_id,amount,currency', ...rows]
  const leg = { legs: [{ routeId: 'r1', departure: '2026-01-05T10:00:00+02:00' }] }

  const tooPrecise = caught(() => feed({ 'fare_products.txt': products('p1,10.00,UAH', 'p2,0.0000000001,UAH') }))
  t.match(tooPrecise, {
    code: 'FEED_INVALID',
    details: { file: 'fare_products.txt', line: 3, field: 'amount' },
    message: /amount has more than 9 decimal places: 1e-10|amount has more than 9 decimal places: 0\.0000000001 has 10/,
  })
  t.match(
    caught(() => feed({ 'fare_caps.txt': ['cap_id,amount,currency,period', 'c1,50.00000000001,UAH,day'] })),
    { code: 'FEED_INVALID', details: { file: 'fare_caps.txt', line: 2, field: 'amount' }, message: /more than 9 decimal places/ },
  )
  const nine = feed({ 'fare_products.txt': products('p1,0.000000001,UAH') })
  t.equal(priceJourney(nine, leg).total.toFixed(), '0.000000001', '9 decimal places are carried exactly')
  t.equal(
    priceJourney(feed({ 'fare_products.txt': products('p1,1.5000000000000,UAH') }), leg).total.toFixed(2),
    '1.50',
    'trailing zeros are not decimal places',
  )

  // 2^36 units = 68,719,476,736: with 2 decimal places at most 687,194,767.36.
  t.equal(priceJourney(feed({ 'fare_products.txt': products('p1,687194767.36,UAH') }), leg).total.toFixed(2), '687194767.36', 'the largest amount at 2 places')
  t.match(
    caught(() => feed({ 'fare_products.txt': products('p1,687194767.37,UAH') })),
    {
      code: 'FEED_INVALID',
      details: { file: 'fare_products.txt', line: 2, field: 'amount' },
      message: /amount too large: 687194767\.37; .*at most 687194767\.36/,
    },
  )
  t.match(
    caught(() => feed({ 'fare_products.txt': products('p1,10.55,UAH', 'p2,-687194767.37,UAH') })),
    { code: 'FEED_INVALID', details: { line: 3, field: 'amount' }, message: /amount too large: -687194767\.37/ },
    'negative amounts too',
  )
  t.match(
    caught(() => feed({ 'fare_products.txt': products('p1,10.55,UAH'), 'fare_caps.txt': ['cap_id,amount,currency,period', 'c1,700000000,UAH,month'] })),
    {
      code: 'FEED_INVALID',
      details: { file: 'fare_caps.txt', line: 2, field: 'amount' },
      message: /amount too large: 700000000; with the feed's 2 decimal places \(fare_products\.txt line 2: 10\.55\)/,
    },
    'caps too',
  )
  t.equal(
    feed({ 'fare_products.txt': products('p1,10.00,UAH'), 'fare_caps.txt': ['cap_id,amount,currency,period', 'c1,700000000,UAH,month'] }).caps.length,
    1,
    'whole amounts only: the ceiling is 2^36 whole units',
  )
  t.match(
    caught(() => feed({ 'fare_products.txt': products('p1,100,UAH', 'p2,0.000000001,UAH') })),
    {
      code: 'FEED_INVALID',
      details: { file: 'fare_products.txt', line: 2, field: 'amount' },
      message: /amount too large: 100; with the feed's 9 decimal places \(fare_products\.txt line 3: 0\.000000001\) at most 68\.719476736 is supported/,
    },
    'the finest amount of the feed sets the ceiling of all the others, and is named',
  )

  const zero = feed({ 'fare_products.txt': products('p1,-0,UAH'), 'fare_caps.txt': ['cap_id,amount,currency,period', 'c1,-0.00,UAH,day'] })
  t.equal(zero.products.get('p1')?.[0]?.amount.isNegative(), false, '"-0" is read as 0')
  t.equal(zero.caps[0]?.amount.isNegative(), false, 'a "-0.00" cap is a cap of 0')
  const json = JSON.stringify(toJson(rate(zero, {}, [{ tapId: 'z1', kind: 'entry', routeId: 'r1', time: '2026-01-05T10:00:00+02:00' }]), 'UAH'))
  t.notMatch(json, /-0\.00/, 'no amount prints as -0.00')
  t.match(json, /"amount":"0\.00"/)
})
