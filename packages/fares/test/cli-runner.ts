/**
 * Runs the real `fares` command line in child processes for the tests.
 * Starting tsx costs about half a second per process, too slow for dozens of
 * cases on two cores; so the CLI source is bundled once with the esbuild that
 * tsx itself uses (same code, same entry point) and each case spawns plain
 * node on that bundle. `runTsxCli` spawns through tsx, as `pnpm fares` does,
 * for the smoke tests of the wiring.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from './helpers.ts'

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

interface EsbuildLike {
  buildSync(options: Record<string, unknown>): unknown
}

let bundlePath: string | undefined

function bundle(): string {
  if (bundlePath) return bundlePath
  const requireFromTsx = createRequire(createRequire(join(repoRoot, 'package.json')).resolve('tsx'))
  const esbuild = requireFromTsx('esbuild') as EsbuildLike
  const outfile = join(mkdtempSync(join(tmpdir(), 'fares-cli-')), 'cli.mjs')
  esbuild.buildSync({
    entryPoints: [join(repoRoot, 'packages/fares/src/bin/fares.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'silent',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  })
  bundlePath = outfile
  return outfile
}

function spawnNode(args: readonly string[], input: string): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const child = execFile(process.execPath, [...args], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolvePromise({ code, stdout, stderr })
    })
    child.stdin?.end(input)
  })
}

/** The CLI through the one-off bundle (fast). */
export function runCli(args: readonly string[], input: string): Promise<CliResult> {
  return spawnNode([bundle(), ...args], input)
}

/** The CLI exactly as `pnpm fares` starts it: tsx on the TypeScript source. */
export function runTsxCli(args: readonly string[], input: string): Promise<CliResult> {
  return spawnNode(['--import', 'tsx', 'packages/fares/src/bin/fares.ts', ...args], input)
}
