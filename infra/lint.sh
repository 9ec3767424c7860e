#!/usr/bin/env bash
# `pnpm lint`: Biome checks formatting and lint rules (biome.json); then no
# line of code may run past 160 characters. The formatter wraps code at 160,
# but not a long string, template or comment, so those are checked here.
# `pnpm format` rewrites what Biome can fix by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm exec biome check --error-on-warnings .
files=$(git ls-files -- '*.ts' '*.js' '*.mjs' '*.sh' '*.json' ':!:**/fixtures/**')
# shellcheck disable=SC2086 # one path per word: no tracked path holds a space
long=$(awk 'length > 160 { print FILENAME ":" FNR ": " length " characters" }' $files)
if [ -n "$long" ]; then
  echo "lint: lines over 160 characters:" >&2
  echo "$long" >&2
  exit 1
fi
