#!/usr/bin/env bash
# Checks the shape of a bundle (default dist/): each entry chunk (the action's index.js and the
# command line's cli/index.js) stays under 2 MB, and the release installers (tool cache, Actions
# cache: most of the code) live in chunks loaded by import() only when a buildx or cosign
# version has to be installed. Every run of the action pays for what its entry chunk holds.
#
#   bash scripts/bundle-shape.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-dist}
limit=2000000
# Function definitions as the bundler leaves them (nothing is minified): our installers and the
# entry points of @actions/tool-cache and @actions/cache they use.
installer='function (installRelease|installBuildx|installCosign|downloadTool|restoreCache|saveCache)\('
bad=0
for entry in "$dir/index.js" "$dir/cli/index.js"; do
  [[ -f $entry ]] || { echo "bundle shape: $entry is missing" >&2; bad=1; continue; }
  size=$(stat -c %s "$entry")
  found=$(grep -oE "$installer" "$entry" | sort -u | paste -sd' ' - || true)
  printf '%-20s %9d B (limit %d)%s\n' "$entry" "$size" "$limit" "${found:+; installer code: $found}"
  if ((size >= limit)); then
    echo "bundle shape: $entry is $size bytes, over $limit: something heavy is imported statically" >&2
    bad=1
  fi
  if [[ -n $found ]]; then
    echo "bundle shape: $entry holds the installer ($found): import it with import() where a version is asked for" >&2
    bad=1
  fi
done
if ! grep -lqE 'function installRelease\(' "$dir"/*.index.js 2>/dev/null; then
  echo "bundle shape: no lazily loaded chunk in $dir holds the installer" >&2
  bad=1
fi
exit "$bad"
