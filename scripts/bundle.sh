#!/usr/bin/env bash
# Bundles the action (dist/index.js) and the command line (dist/cli/index.js) with ncc into $1.
set -euo pipefail
out=${1:-dist}
cd "$(dirname "$0")/.."
# Built beside the target and swapped in at the end, so a test running the bundle meanwhile never
# finds it half written; the fresh directory also drops chunks left from an older bundle.
tmp=$(mktemp -d "${out%/}.new.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
npx ncc build src/action/index.ts -o "$tmp" --license licenses.txt --target es2022 --quiet
npx ncc build src/cli/index.ts -o "$tmp/cli" --target es2022 --quiet
rm -rf "$out"
mv "$tmp" "$out"
chmod 755 "$out" "$out/cli"
trap - EXIT
