#!/usr/bin/env bash
# Installs the workflow runners the end-to-end tests run the README's pipelines under, pinned:
#   nektos/act (GitHub Actions workflows, jobs run on this machine in self-hosted mode),
#   compiled from the Go module proxy;
#   gitlab-ci-local (GitLab CI pipelines, jobs without image: run in this machine's shell), from
#   the npm registry, with Debian's rsync, which it copies the repository with;
#   rhysd/actionlint (checks workflows, and `uses: ./` inputs against action.yml: the migration
#   corpus test lints every migrated workflow with it), compiled from the Go module proxy.
# Called by scripts/stack.sh up (phase runners); idempotent and quick when both are installed.
#   bash scripts/stack/runners.sh BIN_DIR LOG_FILE
set -euo pipefail
BIN=${1:?usage: runners.sh BIN_DIR LOG_FILE}
LOG=${2:?usage: runners.sh BIN_DIR LOG_FILE}
ACT_VERSION=${ACT_VERSION:-v0.2.89}
ACTIONLINT_VERSION=${ACTIONLINT_VERSION:-v1.7.12}
# 4.72.0 is the newest that starts on Node 20: 4.74.0 and later use Node 22's Set.prototype.union.
GCL_VERSION=${GCL_VERSION:-4.72.0}
GCL_DIR=$(dirname "$BIN")/gitlab-ci-local

log() { printf '[stack %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

mkdir -p "$BIN" "$(dirname "$LOG")"

# act: `act --version` prints "act version 0.2.89" (go install stamps the module version).
if [[ $("$BIN/act" --version 2>/dev/null) == "act version ${ACT_VERSION#v}" ]]; then
  log "act $ACT_VERSION already built"
else
  log "compiling act $ACT_VERSION (a minute or two on a cold Go cache; log: $LOG)"
  out=$(mktemp -d)
  GOBIN=$out go install "github.com/nektos/act@$ACT_VERSION" >>"$LOG" 2>&1 || die "building act $ACT_VERSION failed (see $LOG)"
  [[ $("$out/act" --version) == "act version ${ACT_VERSION#v}" ]] || die "the act just built reports '$("$out/act" --version)'"
  mv -f "$out/act" "$BIN/act"
  rm -rf "$out"
  log "act $ACT_VERSION at $BIN/act"
fi

# actionlint: the first line of `actionlint -version` is the module version go install stamps.
if [[ $("$BIN/actionlint" -version 2>/dev/null | head -n1) == "$ACTIONLINT_VERSION" ]]; then
  log "actionlint $ACTIONLINT_VERSION already built"
else
  log "compiling actionlint $ACTIONLINT_VERSION (under a minute on a cold Go cache; log: $LOG)"
  out=$(mktemp -d)
  GOBIN=$out go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >>"$LOG" 2>&1 ||
    die "building actionlint $ACTIONLINT_VERSION failed (see $LOG)"
  got=$("$out/actionlint" -version | head -n1)
  [[ $got == "$ACTIONLINT_VERSION" ]] || die "the actionlint just built reports '$got'"
  mv -f "$out/actionlint" "$BIN/actionlint"
  rm -rf "$out"
  log "actionlint $ACTIONLINT_VERSION at $BIN/actionlint"
fi

# gitlab-ci-local copies the tracked files of the repository with rsync.
if ! command -v rsync >/dev/null; then
  log "installing rsync (Debian)"
  apt-get install -y -q rsync >>"$LOG" 2>&1 || { apt-get update -q >>"$LOG" 2>&1 && apt-get install -y -q rsync >>"$LOG" 2>&1; } ||
    die "installing rsync failed (see $LOG)"
fi

gcl_version() { node "$GCL_DIR/node_modules/gitlab-ci-local/dist/index.js" --version 2>/dev/null || true; }
if [[ $(gcl_version) == "$GCL_VERSION" ]]; then
  log "gitlab-ci-local $GCL_VERSION already installed"
else
  log "installing gitlab-ci-local $GCL_VERSION (npm; log: $LOG)"
  rm -rf "$GCL_DIR"
  mkdir -p "$GCL_DIR"
  printf '{ "private": true }\n' >"$GCL_DIR/package.json"
  npm install --prefix "$GCL_DIR" --no-audit --no-fund --save-exact "gitlab-ci-local@$GCL_VERSION" >>"$LOG" 2>&1 ||
    die "installing gitlab-ci-local $GCL_VERSION failed (see $LOG)"
  [[ $(gcl_version) == "$GCL_VERSION" ]] || die "gitlab-ci-local reports '$(gcl_version)', not $GCL_VERSION"
fi
ln -sfn "$GCL_DIR/node_modules/.bin/gitlab-ci-local" "$BIN/gitlab-ci-local"
log "gitlab-ci-local $GCL_VERSION at $BIN/gitlab-ci-local"
