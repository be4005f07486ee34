#!/usr/bin/env bash
# The README's first command: build the example project for linux/amd64 and linux/arm64 with the
# command line (the same pipeline as the action) and push one multi-arch index to a local registry.
#
#   bash scripts/demo.sh
#
# With a Docker engine and buildx, it uses them: a registry container on 127.0.0.1:5000 (unless one
# answers there), the docker-container driver, QEMU from the binfmt image, busybox from Docker Hub.
# Otherwise (a Debian machine, as root) `scripts/stack.sh up core` sets up QEMU, BuildKit, buildx
# and the registry from Debian and Go packages, and the build runs through the remote driver. Only
# what this build uses: cosign and the extra BuildKit nodes are left to `scripts/test.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."

REPO=demo/hello
STACK_DIR=${STACK_DIR:-/var/tmp/multiarch-stack}
say() { printf '\n== %s\n' "$*"; }
registry_answers() { node -e "fetch('http://127.0.0.1:5000/v2/').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; }

command -v node >/dev/null || { echo "demo: Node.js 20 or newer is needed (node not found)" >&2; exit 1; }
if [ ! -d node_modules ]; then
  say "npm ci"
  npm ci --no-audit --no-fund
fi
if [ ! -f dist/cli/index.js ]; then
  say "bundling the command line"
  npm run -s bundle
fi

if docker info >/dev/null 2>&1 && docker buildx version >/dev/null 2>&1; then
  say "using this machine's Docker engine and buildx"
  if ! registry_answers; then
    docker run -d --name multiarch-demo-registry -p 127.0.0.1:5000:5000 registry:2 >/dev/null
    until registry_answers; do sleep 0.5; done
  fi
  IMAGE=127.0.0.1:5000/$REPO
  base=busybox:latest
  # The builder's container shares the host network to reach 127.0.0.1:5000, which speaks plain HTTP.
  builder=(--driver docker-container --driver-opts network=host
    --buildkitd-config-inline $'[registry."127.0.0.1:5000"]\n  http = true\n  insecure = true')
  inspect=(docker buildx imagetools inspect)
else
  say "setting up QEMU, BuildKit, buildx and a registry (scripts/stack.sh)"
  bash scripts/stack.sh up core
  stack() { node -p "require('$STACK_DIR/env.json').$1"; }
  IMAGE=$(stack registry)/$REPO
  base=$(stack baseImage)
  builder=(--driver remote --endpoint "$(stack buildkitHost)")
  inspect=(docker buildx imagetools inspect --builder "$(stack builder)")
fi

say "building $IMAGE for linux/amd64 and linux/arm64"
node dist/cli/index.js \
  --context __tests__/fixtures/projects/arch \
  --platforms linux/amd64,linux/arm64 \
  --build-args "BASE=$base" \
  --images "$IMAGE" \
  --tags type=raw,value=latest --tags type=sha \
  --metadata-source git \
  "${builder[@]}"

say "the index in the registry"
"${inspect[@]}" "$IMAGE:latest"
say "done in ${SECONDS} s"
