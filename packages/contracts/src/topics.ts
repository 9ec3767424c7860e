/** Topic names and partition counts; overridable by config for tests that want their own topics. */
export const TOPICS = { taps: 'taps', tapsDlq: 'taps.dlq' } as const
export const TAPS_PARTITIONS = 6
