export * from './schema.ts'
export * from './connect.ts'
export * from './migrate.ts'
export * from './money.ts'
