export * from './taps.ts'
export * from './errors.ts'
export * from './topics.ts'
export * from './validate.ts'
