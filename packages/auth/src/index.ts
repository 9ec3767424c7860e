export * from './tokens.ts'
export * from './keys.ts'
export * from './dev-keys.ts'
export * from './fastify.ts'
