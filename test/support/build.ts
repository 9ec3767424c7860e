/**
 * The compiled build (infra/build.ts, what `pnpm build` runs) that tests start
 * their processes from, as `pnpm start` and production run them: plain `node`
 * on dist-like files, about twice as fast to start as tsx compiling the
 * sources each time. One build per state of the sources, shared by every test
 * file and run: it lives in .cache/test-build/<hash of every input>/, so an
 * edited source gets a build of its own and none can be stale.
 *
 * The first file to need it builds it (a few seconds); files that need it at
 * the same time wait for that build instead of starting one of their own.
 */

import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { REPO_ROOT } from '../../infra/repo-root.ts'

const BUILDS = path.join(REPO_ROOT, '.cache', 'test-build')
/** Builds of other source states are deleted once this old (a run in progress may still use a recent one). */
const STALE_BUILD_MS = 24 * 3600_000
/** Long enough for a build on a loaded 2-core machine. */
const BUILD_TIMEOUT_MS = 300_000

/** Files that decide what the build contains: the sources it bundles, the build script, and the dependency versions. */
function inputFiles(): string[] {
  const files: string[] = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules') continue
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else files.push(full)
    }
  }
  for (const area of ['packages', 'services']) {
    for (const pkg of readdirSync(path.join(REPO_ROOT, area))) {
      const src = path.join(REPO_ROOT, area, pkg, 'src')
      if (existsSync(src)) walk(src)
      files.push(path.join(REPO_ROOT, area, pkg, 'package.json'))
    }
  }
  walk(path.join(REPO_ROOT, 'infra'))
  files.push(...['package.json', 'pnpm-lock.yaml', 'tsconfig.base.json'].map((f) => path.join(REPO_ROOT, f)))
  return files.sort()
}

function sourcesHash(): string {
  const hash = createHash('sha256')
  for (const file of inputFiles()) {
    hash.update(path.relative(REPO_ROOT, file))
    hash.update('\0')
    hash.update(readFileSync(file))
    hash.update('\0')
  }
  return hash.digest('hex').slice(0, 16)
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The pid in the lock file; undefined once it is gone. */
function lockHolder(lock: string): number | undefined {
  try {
    return Number(readFileSync(lock, 'utf8'))
  } catch {
    return undefined
  }
}

/**
 * Takes the build lock, a file holding the builder's pid (linked into place
 * whole, so never seen empty), waiting while a live process holds it; false
 * once `ready()` holds instead.
 */
function lockOrReady(lock: string, ready: () => boolean): boolean {
  const deadline = Date.now() + BUILD_TIMEOUT_MS
  const mine = `${lock}.${process.pid}`
  writeFileSync(mine, String(process.pid))
  try {
    for (;;) {
      if (ready()) return false
      try {
        linkSync(mine, lock)
        return true
      } catch {
        // Held: by a live builder (wait), or left by one that died (take it over).
        const holder = lockHolder(lock)
        if (holder === undefined) continue // released meanwhile
        if (!isRunning(holder)) rmSync(lock, { force: true })
        else if (Date.now() > deadline) throw new Error(`the test build is still locked by pid ${holder} after ${BUILD_TIMEOUT_MS} ms`)
        else sleepSync(200)
      }
    }
  } finally {
    rmSync(mine, { force: true })
  }
}

function pruneOldBuilds(keep: string): void {
  for (const name of readdirSync(BUILDS)) {
    const full = path.join(BUILDS, name)
    if (full === keep || name.includes('.lock')) continue
    if (Date.now() - statSync(full).mtimeMs > STALE_BUILD_MS) rmSync(full, { recursive: true, force: true })
  }
}

let built: string | undefined

/** The folder of the build of the sources as they are now (infra/build.ts's --outdir), building it if no test has yet. */
export function compiledBuild(): string {
  if (built) return built
  mkdirSync(BUILDS, { recursive: true })
  const outdir = path.join(BUILDS, sourcesHash())
  const ready = () => existsSync(path.join(outdir, '.complete'))
  const lock = `${outdir}.lock`
  if (lockOrReady(lock, ready)) {
    try {
      const partial = `${outdir}.${process.pid}.partial`
      rmSync(partial, { recursive: true, force: true })
      const build = spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'infra/build.ts'), '--outdir', partial], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: BUILD_TIMEOUT_MS,
      })
      if (build.status !== 0) throw new Error(`infra/build.ts failed (${build.signal ?? build.status}): ${build.stdout}${build.stderr}`)
      closeSync(openSync(path.join(partial, '.complete'), 'w'))
      rmSync(outdir, { recursive: true, force: true })
      renameSync(partial, outdir)
      pruneOldBuilds(outdir)
    } finally {
      unlinkSync(lock)
    }
  }
  built = outdir
  return outdir
}

/** The node arguments that run `file` (a path under the build, as infra/build.ts names it) compiled, with stack traces naming the .ts lines. */
export function compiledArgs(file: string): string[] {
  return ['--enable-source-maps', path.join(compiledBuild(), file)]
}
