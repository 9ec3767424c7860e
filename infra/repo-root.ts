import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The repository's root: the nearest folder above this module that holds
 * pnpm-workspace.yaml. Searched for, not counted in `..`s, because the same
 * code runs from infra/ (through tsx) and bundled into dist/infra/ (`pnpm start`).
 */
export const REPO_ROOT = ((): string => {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir
    if (dir === path.dirname(dir)) throw new Error(`no pnpm-workspace.yaml above ${fileURLToPath(import.meta.url)}`)
  }
})()
