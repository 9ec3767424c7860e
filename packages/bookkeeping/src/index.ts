export * from './accounts.ts'
export * from './transfers.ts'
export * from './balances.ts'
export * from './top-up.ts'
