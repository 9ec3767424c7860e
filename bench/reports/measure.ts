/**
 * Timings for `pnpm bench:reports`, over HTTP against the api listening in
 * this process: a report's wall time from request to its last byte, over
 * repeated runs after a warm-up; and the TIDES export streamed to the end,
 * counting rows while sampling the process's memory.
 */

export interface Timing {
  readonly status: number
  readonly runsMs: readonly number[]
  readonly p50: number
  readonly p95: number
  readonly bytes: number
  /** The error body of a non-200 answer. */
  readonly error?: string
}

/** Nearest-rank percentile: with 10 runs, p95 is the slowest run. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
}

async function once(url: string, token: string): Promise<{ ms: number; status: number; bytes: number; body: string }> {
  const started = performance.now()
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } })
  const body = await res.text()
  return { ms: performance.now() - started, status: res.status, bytes: Buffer.byteLength(body), body }
}

/**
 * One warm-up run (not counted), then `runs` runs. A report slower than
 * `slowMs` in its warm-up runs `slowRuns` times instead, so a slow report
 * before its fix does not hold the bench for long.
 */
export async function timeReport(url: string, token: string, runs: number, slow: { slowMs: number; slowRuns: number }): Promise<Timing> {
  const warm = await once(url, token)
  if (warm.status !== 200) return { status: warm.status, runsMs: [], p50: Number.NaN, p95: Number.NaN, bytes: warm.bytes, error: warm.body.slice(0, 300) }
  const count = warm.ms > slow.slowMs ? Math.min(runs, slow.slowRuns) : runs
  const runsMs: number[] = []
  for (let i = 0; i < count; i++) runsMs.push((await once(url, token)).ms)
  return { status: 200, runsMs, p50: percentile(runsMs, 50), p95: percentile(runsMs, 95), bytes: warm.bytes }
}

export interface StreamResult {
  readonly status: number
  readonly rows: number
  readonly bytes: number
  readonly seconds: number
  readonly rowsPerSecond: number
  /** Until the first byte arrived. */
  readonly firstByteMs: number
  /** MiB above the start, at the peak during the stream. */
  readonly rssGrowthMiB: number
  readonly heapGrowthMiB: number
  /** RSS above the start at 25/50/75/100% of the rows: flat memory stays level. */
  readonly rssAlongMiB: readonly number[]
  readonly error?: string
}

const MiB = 1024 * 1024

/**
 * Streams `url` to its end, sampling memory every 50 ms. A CSV's rows are its
 * lines after the header; `expectedRows` places the 25/50/75% samples (for a
 * ZIP, whose lines mean nothing, only the end is sampled).
 */
export async function streamExport(url: string, token: string, expectedRows: number, csv = true): Promise<StreamResult> {
  ;(globalThis as { gc?: () => void }).gc?.()
  const start = process.memoryUsage()
  let peakRss = start.rss
  let peakHeap = start.heapUsed
  const sampler = setInterval(() => {
    const m = process.memoryUsage()
    peakRss = Math.max(peakRss, m.rss)
    peakHeap = Math.max(peakHeap, m.heapUsed)
  }, 50)
  const along: number[] = []
  const marks = csv ? [0.25, 0.5, 0.75].map((f) => Math.floor(f * expectedRows)) : []
  const started = performance.now()
  try {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
    if (res.status !== 200 || !res.body) return { ...emptyStream(res.status), error: (await res.text()).slice(0, 300) }
    let firstByteMs = 0
    let lines = 0
    let bytes = 0
    for await (const chunk of res.body) {
      if (bytes === 0) firstByteMs = performance.now() - started
      bytes += chunk.byteLength
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) {
        lines++
        if (lines === marks[along.length]) along.push((process.memoryUsage().rss - start.rss) / MiB)
      }
    }
    const seconds = (performance.now() - started) / 1000
    along.push((process.memoryUsage().rss - start.rss) / MiB)
    const rows = csv ? Math.max(0, lines - 1) : 0
    return {
      status: 200,
      rows,
      bytes,
      seconds,
      rowsPerSecond: (csv ? rows : expectedRows) / seconds,
      firstByteMs,
      rssGrowthMiB: (peakRss - start.rss) / MiB,
      heapGrowthMiB: (peakHeap - start.heapUsed) / MiB,
      rssAlongMiB: along,
    }
  } finally {
    clearInterval(sampler)
  }
}

function emptyStream(status: number): StreamResult {
  return { status, rows: 0, bytes: 0, seconds: 0, rowsPerSecond: 0, firstByteMs: 0, rssGrowthMiB: 0, heapGrowthMiB: 0, rssAlongMiB: [] }
}
