/**
 * `pnpm build`: compiles every runnable entry point to JavaScript in dist/, so
 * services start with plain `node` instead of compiling TypeScript at each
 * start (tsx). Type checking stays with `pnpm typecheck` (tsc); this only
 * translates.
 *
 * Each entry becomes one ES module for Node 20 (esbuild): the workspace's own
 * packages (@fare/*) are bundled in, npm packages stay outside and load from
 * node_modules as before. A linked source map sits beside each file; run with
 * `node --enable-source-maps` and stack traces name the .ts lines.
 *
 *   pnpm build [--outdir DIR]   (default dist/)
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { build, type Plugin } from 'esbuild'
import { REPO_ROOT } from './repo-root.ts'

/** Source entry -> output file (under the out dir): the package's path without `src/`. */
const ENTRIES: Readonly<Record<string, string>> = {
  'services/ingest/src/main.ts': 'services/ingest/main.js',
  'services/ledger/src/main.ts': 'services/ledger/main.js',
  'services/api/src/main.ts': 'services/api/main.js',
  'services/ledger/src/check-cli.ts': 'services/ledger/check-cli.js',
  'packages/db/src/migrate-cli.ts': 'packages/db/migrate-cli.js',
  'packages/fares/src/bin/fares.ts': 'packages/fares/bin/fares.js',
  'infra/start.ts': 'infra/start.js',
  'infra/tap-cli.ts': 'infra/tap-cli.js',
  'infra/validator/cli.ts': 'infra/validator/cli.js',
}

/**
 * Leaves npm packages out of the bundle, each import pinned to the file the
 * importing workspace package resolves it to, as a path relative to the
 * output file. A bare `import 'pg'` would not do: pnpm gives each package only
 * its own dependencies, so from dist/ (which has no node_modules of its own)
 * `pg`, a dependency of @fare/db, cannot be found. The pinned file is the one
 * Node would load from the importing package (same package version, same
 * `exports` conditions), so every importer shares one instance of it.
 */
function npmPackagesOutside(outfile: string): Plugin {
  const RESOLVING = Symbol('resolving')
  return {
    name: 'npm-packages-outside',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === RESOLVING || args.path.startsWith('@fare/')) return undefined
        if (isBuiltin(args.path)) return { path: args.path, external: true }
        const found = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: RESOLVING })
        if (found.errors.length > 0) return { errors: found.errors }
        const relative = path.relative(path.dirname(outfile), found.path).split(path.sep).join('/')
        return { path: relative.startsWith('.') ? relative : `./${relative}`, external: true }
      })
    },
  }
}

async function buildEntry(source: string, outfile: string): Promise<number> {
  const result = await build({
    entryPoints: [path.join(REPO_ROOT, source)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Node's own resolution: no "module" condition or field (esbuild adds them for bundlers).
    conditions: ['node'],
    mainFields: ['main'],
    sourcemap: 'linked',
    // Stack traces need only the mappings; the sources are in the repository.
    sourcesContent: false,
    plugins: [npmPackagesOutside(outfile)],
    logLevel: 'warning',
    write: false,
  })
  // Written beside and renamed into place: a process starting from dist/ while
  // it is rebuilt (an ingest worker replaced during `pnpm build`) never reads half a file.
  mkdirSync(path.dirname(outfile), { recursive: true })
  let bytes = 0
  for (const file of result.outputFiles) {
    const partial = `${file.path}.${process.pid}.partial`
    writeFileSync(partial, file.contents)
    renameSync(partial, file.path)
    if (file.path === outfile) bytes = file.contents.byteLength
  }
  return bytes
}

const { values } = parseArgs({ options: { outdir: { type: 'string', default: path.join(REPO_ROOT, 'dist') } } })
const outdir = path.resolve(values.outdir)
const started = Date.now()
const built = await Promise.all(
  Object.entries(ENTRIES).map(async ([source, target]) => ({ source, target, bytes: await buildEntry(source, path.join(outdir, target)) })),
)
for (const { source, target, bytes } of built)
  console.log(`${source} -> ${path.relative(REPO_ROOT, path.join(outdir, target))} (${Math.round(bytes / 1024)} KiB)`)
console.log(`built ${built.length} entry points in ${Date.now() - started} ms`)
