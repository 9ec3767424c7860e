/** Whether the module at `metaUrl` is the script node was started with (`pnpm bench:<name>`), not imported by `pnpm bench`. */
import { pathToFileURL } from 'node:url'

export function isMainModule(metaUrl: string): boolean {
  const script = process.argv[1]
  return script !== undefined && pathToFileURL(script).href === metaUrl
}

/** A numeric knob from the environment; undefined when unset (the bench's default applies). */
export function envNumber(name: string): number | undefined {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return undefined
  const value = Number(raw)
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number, not ${JSON.stringify(raw)}`)
  return value
}
