/** Configuration is checked once at start, and every bad variable is named in one message. */
import t from 'tap'
import { ConfigError, EnvReader, readCommonConfig } from '../src/config.ts'

t.test('defaults run the local stack', async (t) => {
  const env = new EnvReader({})
  const config = readCommonConfig(env)
  env.done()
  t.same(config.kafkaBrokers, ['127.0.0.1:9092'])
  t.equal(config.databaseUrl, 'postgres://postgres@127.0.0.1:5432/fare')
  t.equal(config.tapsTopic, 'taps')
})

t.test('every bad variable is named', async (t) => {
  const env = new EnvReader({ LOG_LEVEL: 'loud', PORT: '80a', RETRIES: '-1', FARE: '1e3', FLAG: 'maybe' })
  readCommonConfig(env)
  env.integer('PORT', 8080, { min: 0, max: 65535 })
  env.integer('RETRIES', 3, { min: 0 })
  env.decimal('FARE', '18.00')
  env.boolean('FLAG', false)
  env.string('REQUIRED_THING')
  const err = t.throws(() => env.done()) as ConfigError
  t.type(err, ConfigError)
  for (const name of ['LOG_LEVEL', 'PORT', 'RETRIES', 'FARE', 'FLAG', 'REQUIRED_THING']) t.match(err.message, name, `names ${name}`)
  t.equal(err.problems.length, 6)
})

t.test('good values are read', async (t) => {
  const env = new EnvReader({ PORT: '9000', FLAG: 'true', KAFKA_BROKERS: 'a:1, b:2', FARE: '9.50' })
  t.equal(env.integer('PORT', 1), 9000)
  t.equal(env.boolean('FLAG', false), true)
  t.same(readCommonConfig(env).kafkaBrokers, ['a:1', 'b:2'])
  t.equal(env.decimal('FARE', '0'), '9.50')
  t.doesNotThrow(() => env.done())
})
