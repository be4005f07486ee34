#!/usr/bin/env bash
# Bundles the action (dist/index.js) and the command line (dist/cli/index.js) with ncc into $1.
set -euo pipefail
out=${1:-dist}
cd "$(dirname "$0")/.."
# Start empty: ncc names its chunks by number, and a chunk left from an older bundle would linger.
rm -rf "$out"
npx ncc build src/index.ts -o "$out" --license licenses.txt --target es2022 --quiet
npx ncc build src/cli.ts -o "$out/cli" --target es2022 --quiet
