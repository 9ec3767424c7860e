/**
 * The files the dashboard's pages load, all served by the api itself (no
 * CDN): uPlot's script and style from its npm package, and the dashboard's own
 * script, style and icon from ./public. Read once when the api starts, so a
 * missing file fails the start, not a page.
 *
 * Located from the repository's root, not from this module: the same code
 * runs from source (tsx) and bundled into dist/ (`pnpm build`), and from
 * dist/ neither ./public nor the api package's node_modules sit beside it.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export interface Asset {
  readonly contentType: string
  readonly body: Buffer
}

/** The folder holding pnpm-workspace.yaml above this module (source or bundle). */
function repositoryRoot(): string {
  const here = fileURLToPath(import.meta.url)
  for (let dir = path.dirname(here); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir
    if (dir === path.dirname(dir)) throw new Error(`dashboard assets: no pnpm-workspace.yaml above ${here}`)
  }
}

const JS = 'text/javascript; charset=utf-8'
const CSS = 'text/css; charset=utf-8'

/** URL file name -> the file, its type. */
export function loadAssets(): ReadonlyMap<string, Asset> {
  const apiPackage = path.join(repositoryRoot(), 'services/api')
  // Resolved as the api package resolves its own dependency (pnpm links uplot under services/api/node_modules).
  const fromApi = createRequire(path.join(apiPackage, 'package.json'))
  const own = (name: string) => path.join(apiPackage, 'src/dashboard/public', name)
  const files: Record<string, { file: string; contentType: string }> = {
    'uplot.min.js': { file: fromApi.resolve('uplot/dist/uPlot.iife.min.js'), contentType: JS },
    'uplot.min.css': { file: fromApi.resolve('uplot/dist/uPlot.min.css'), contentType: CSS },
    'dashboard.js': { file: own('dashboard.js'), contentType: JS },
    'dashboard.css': { file: own('dashboard.css'), contentType: CSS },
    'favicon.svg': { file: own('favicon.svg'), contentType: 'image/svg+xml' },
  }
  return new Map(Object.entries(files).map(([name, { file, contentType }]) => [name, { contentType, body: readFileSync(file) }]))
}
