#!/usr/bin/env bash
# Stands up the real build stack the end-to-end tests drive, with nothing pulled from a public
# container registry: QEMU user emulation (binfmt_misc), two local OCI registries (plain and
# htpasswd-protected), a BuildKit daemon, buildx as a docker CLI plugin, a multi-arch busybox
# base image in both registries, three single-platform BuildKit daemons (nodes for
# multi-node builders: linux/amd64, linux/arm64 under QEMU, linux/386) with a base image that
# adds linux/386; and the workflow runners the README's pipelines run under (stack/runners.sh:
# nektos/act, gitlab-ci-local); and a stand-in for the GitHub Actions cache service (v2, blobs in
# Azurite).
#
#   bash scripts/stack.sh up       install/start whatever is missing (idempotent; quick when all is up)
#   bash scripts/stack.sh up core  only what a two-platform build needs (QEMU, registries, BuildKit,
#                                  buildx, the base image): no cosign, no extra nodes. The demo's.
#   bash scripts/stack.sh down     stop the daemons this script started, remove its builder
#   bash scripts/stack.sh status   print the state of every part (exit 0 only when all is up)
#
# Must run as root (it installs Debian packages, mounts binfmt_misc, runs buildkitd with runc).
# State lives in $STACK_DIR (default /var/tmp/multiarch-stack); tests read $STACK_DIR/env.json
# and $STACK_DIR/status ("ok", or "unavailable: <reason>" when this machine cannot host the stack).
# Exit codes: 0 ok, 3 unavailable on this machine, 1 any other failure, 2 usage.
# The final `exit` makes shellcheck 0.9 flag every function as unreachable (SC2317).
# shellcheck disable=SC2317
set -euo pipefail
set -E # let the ERR trap fire inside functions too
export LC_ALL=C

# Absolute: the daemons run from / (start_bg), so a relative STACK_DIR would name another place there.
STACK_DIR=$(realpath -m "${STACK_DIR:-/var/tmp/multiarch-stack}")
BUILDKIT_VERSION=${BUILDKIT_VERSION:-v0.32.2}
BUILDX_VERSION=${BUILDX_VERSION:-v0.36.1}
COSIGN_VERSION=${COSIGN_VERSION:-v2.6.1}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

BIN=$STACK_DIR/bin
LOGS=$STACK_DIR/logs
RUN=$STACK_DIR/run
BB=$STACK_DIR/busybox
# Ports and builder name can be moved for a second stack on the same machine (a fresh STACK_DIR
# measured beside a running one); tests and the demo read them from env.json.
REG_PLAIN_PORT=${REG_PLAIN_PORT:-5000}
REG_AUTH_PORT=${REG_AUTH_PORT:-5001}
REG_PLAIN=127.0.0.1:$REG_PLAIN_PORT
REG_AUTH=127.0.0.1:$REG_AUTH_PORT
AUTH_USER=e2e
AUTH_DIR=$STACK_DIR/auth
AUTH_PASSWORD_FILE=$AUTH_DIR/password
AUTH_DOCKER_CONFIG=$AUTH_DIR/docker
BUILDKITD_SOCK=$STACK_DIR/buildkitd.sock
BUILDKIT_HOST=unix://$BUILDKITD_SOCK
BUILDKITD_CONFIG=$STACK_DIR/buildkitd.toml
BUILDER=${STACK_BUILDER:-stack-base}
BASE_REPO=base/busybox:latest
BASE_PLATFORMS=(linux/amd64 linux/arm64 linux/arm/v7)
# The Actions cache stand-in (scripts/stack/actions-cache.mjs) and the blob server its signed URLs point at.
AZURITE_PORT=10000
# Not 10080: fetch() (Node, browsers) refuses that port.
ACTIONS_CACHE_ADDR=127.0.0.1:10090
ACTIONS_CACHE_DIR=$STACK_DIR/actions-cache
APT_PKGS=(qemu-user-static binfmt-support docker-registry runc busybox-static apache2-utils
  ca-certificates git curl)

# CI runs this without a login shell: make sure Go, sbin (runc, update-binfmts) and our own
# binaries are found.
export HOME=${HOME:-/root}
export PATH=$BIN:/usr/local/go/bin:$PATH:/usr/local/sbin:/usr/sbin:/sbin
export DEBIAN_FRONTEND=noninteractive
# The user's docker config gets the buildx plugin and the builder; pinning the builder store lets
# commands that point DOCKER_CONFIG at the auth config still find that builder.
USER_DOCKER_CONFIG=${DOCKER_CONFIG:-$HOME/.docker}
export BUILDX_CONFIG=${BUILDX_CONFIG:-$USER_DOCKER_CONFIG/buildx}
PLUGIN=$USER_DOCKER_CONFIG/cli-plugins/docker-buildx

# ---------------------------------------------------------------------------------------------
# Logging, timing, failure reporting

log() { printf '[stack %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
fmt_ms() { printf '%d.%01ds' $(($1 / 1000)) $((($1 % 1000) / 100)); }

PHASE=startup
TIMINGS=()
# phase NAME FUNCTION: run one part of the setup, recording how long it took.
phase() {
  local name=$1 start
  shift
  PHASE=$name
  start=$(now_ms)
  log "-- $name"
  "$@"
  local took=$(($(now_ms) - start))
  TIMINGS+=("$name=$took")
  log "-- $name: done in $(fmt_ms "$took")"
}

write_status() {
  mkdir -p "$STACK_DIR"
  printf '%s\n' "$1" >"$STACK_DIR/status"
}

# The machine cannot host the stack (missing kernel feature, not root, ...): distinct exit code
# so callers can skip end-to-end tests instead of failing them.
unavailable() {
  write_status "unavailable: $*"
  log "UNAVAILABLE: $*"
  exit 3
}

die() {
  [[ $PHASE == status ]] || write_status "error: $PHASE: $*"
  log "ERROR: $*"
  exit 1
}

on_err() {
  local rc=$? line=$1
  trap - ERR
  write_status "error: $PHASE failed (exit $rc at line $line)"
  log "ERROR: $PHASE failed (exit $rc at $0:$line); logs in $LOGS"
  exit 1
}

# ---------------------------------------------------------------------------------------------
# Small helpers

# One `up`/`down` at a time (parallel CI jobs, a developer's second terminal).
take_lock() {
  mkdir -p "$RUN"
  exec 9>"$RUN/stack.lock"
  if ! flock -n 9; then
    log "waiting for another stack.sh run to finish (lock $RUN/stack.lock)"
    flock -w "$1" 9 || die "another stack.sh still holds $RUN/stack.lock after $1 s"
  fi
}

pkg_installed() { [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) == "ii "* ]]; }

# write_if_changed FILE: write stdin to FILE; status 0 when the content changed.
write_if_changed() {
  local file=$1 tmp
  tmp=$(mktemp "$file.XXXX")
  cat >"$tmp"
  if [[ -f $file ]] && cmp -s "$tmp" "$file"; then
    rm -f "$tmp"
    return 1
  fi
  mv "$tmp" "$file"
  return 0
}

# running NAME: the process recorded in $RUN/NAME.pid is alive and is still that program (a
# stale pid file must never make us signal an unrelated process).
running() {
  local pidfile=$RUN/$1.pid pid
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$STACK_DIR" || return 1
}

# start_bg NAME CMD...: detach CMD from this shell (own session, no terminal) and record its pid.
start_bg() {
  local name=$1
  shift
  mkdir -p "$RUN" "$LOGS"
  printf '\n==== %s starting %s\n' "$(date -Is)" "$*" >>"$LOGS/$name.log"
  # The daemon must inherit no descriptor above 2: neither our lock (fd 9) nor one a caller holds
  # (`flock /tmp/x.lock stack.sh up` passes its lock on fd 3), or that lock would outlive this run.
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      if ((fd > 2)); then exec {fd}>&- || true; fi
    done 2>/dev/null
    # Nor the caller's directory: a checkout that is later deleted would leave the daemon in a
    # directory that no longer exists, and BuildKit's git (a git context) refuses to start there.
    cd /
    exec setsid nohup "$@" >>"$LOGS/$name.log" 2>&1 </dev/null
  ) &
  echo $! >"$RUN/$name.pid"
}

# stop_bg NAME...: SIGTERM all of them at once, then wait (SIGKILL after 20 s).
stop_bg() {
  local name pid pids=() i
  for name in "$@"; do
    if running "$name"; then
      pid=$(<"$RUN/$name.pid")
      log "stopping $name (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    rm -f "$RUN/$name.pid"
  done
  for pid in "${pids[@]}"; do
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid did not exit on SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

# Credentials never go on a command line: curl reads them from a config on a pipe.
auth_curl() {
  curl -K <(printf 'user = "%s:%s"\n' "$AUTH_USER" "$(<"$AUTH_PASSWORD_FILE")") "$@"
}

http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" || true; }

# Platforms (os/arch[/variant]) of an image index, read from JSON on stdin.
index_platforms() {
  node -e '
    let s = ""; process.stdin.on("data", d => (s += d)).on("end", () => {
      const j = JSON.parse(s);
      for (const m of j.manifests || []) {
        const p = m.platform; if (!p) continue;
        console.log([p.os, p.architecture, p.variant].filter(Boolean).join("/"));
      }
    });'
}

# base_present REGISTRY [auth]: the tag exists there as an index with every base platform.
base_present() {
  local reg=$1 get=(curl) out p
  [[ ${2:-} == auth ]] && get=(auth_curl)
  out=$("${get[@]}" -sf --max-time 10 \
    -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json' \
    "http://$reg/v2/${BASE_REPO%:*}/manifests/${BASE_REPO##*:}" | index_platforms 2>/dev/null) || return 1
  for p in "${BASE_PLATFORMS[@]}"; do grep -qx "$p" <<<"$out" || return 1; done
}

worker_platforms() {
  "$BIN/buildctl" --addr "$BUILDKIT_HOST" debug workers 2>/dev/null | awk 'NR > 1 { print $2 }' | tr ',' '\n'
}

# ---------------------------------------------------------------------------------------------
# up: parts

preflight() {
  [[ $(id -u) == 0 ]] || unavailable "must run as root (installs packages, mounts binfmt_misc, runs buildkitd)"
  [[ $(uname -s) == Linux ]] || unavailable "needs Linux (binfmt_misc, runc)"
  command -v apt-get >/dev/null || unavailable "needs a Debian-based machine (apt-get not found)"
  command -v node >/dev/null || die "node not found (the project needs Node 20)"
  command -v go >/dev/null || die "go not found (expected in PATH or /usr/local/go/bin)"
  command -v docker >/dev/null || die "docker CLI not found (only the client is needed)"
  # runc places every build step in a cgroup; without any cgroup filesystem each RUN fails.
  grep -Eq ' - cgroup2? ' /proc/self/mountinfo || unavailable "no cgroup filesystem is mounted (runc needs one)"
  mkdir -p "$BIN" "$LOGS" "$RUN" "$BB"
}

# apt mirrors sometimes fail one index ("File has unexpected size ... Mirror sync in progress"):
# retry, and in the end carry on with the indexes that did arrive; the install decides.
apt_update() {
  local i
  for i in 1 2 3; do
    log "apt-get update (attempt $i)"
    if apt-get -q -o Acquire::Retries=3 update >>"$LOGS/apt.log" 2>&1; then return 0; fi
    grep -E '^(E|W):' "$LOGS/apt.log" | tail -n 3 >&2 || true
    sleep $((i * 5))
  done
  log "WARNING: apt-get update kept failing on some index; continuing with what was fetched"
}

packages() {
  local missing=() p arch need_update=0 need_bb=0 i
  for p in "${APT_PKGS[@]}"; do pkg_installed "$p" || missing+=("$p"); done
  for arch in arm64 armhf; do
    if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
      dpkg --add-architecture "$arch"
      need_update=1
    fi
  done
  for p in amd64 arm64 armv7; do [[ -x $BB/busybox-$p ]] || need_bb=1; done
  if ((${#missing[@]} == 0 && need_bb == 0)); then
    log "packages and busybox binaries already present"
    return 0
  fi
  if ((${#missing[@]})); then need_update=1; fi
  # Foreign-architecture indexes may be missing even when every package is installed.
  if ((need_bb)) && [[ $(apt-cache policy busybox-static:arm64 busybox-static:armhf 2>/dev/null | grep -c 'Candidate: [0-9]') != 2 ]]; then
    need_update=1
  fi
  if ((need_update)); then apt_update; fi

  if ((${#missing[@]})); then
    log "installing: ${missing[*]}"
    for i in 1 2 3; do
      if apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$LOGS/apt.log" 2>&1; then break; fi
      tail -n 5 "$LOGS/apt.log" >&2
      if ((i < 3)); then apt_update; fi
    done
    for p in "${missing[@]}"; do pkg_installed "$p" || die "could not install $p (see $LOGS/apt.log)"; done
  fi

  # One static busybox per target architecture for the base image (the amd64 one as well, so
  # all three come from the same package version).
  if ((need_bb)); then
    mkdir -p "$STACK_DIR/debs"
    local deb tmp
    # One download for the three: apt fetches them over one connection, not three in turn.
    (cd "$STACK_DIR/debs" && rm -f busybox-static_*_{amd64,arm64,armhf}.deb &&
      apt-get download -q -o APT::Sandbox::User=root busybox-static:{amd64,arm64,armhf} >>"$LOGS/apt.log" 2>&1) ||
      die "apt-get download busybox-static for amd64, arm64 and armhf failed (see $LOGS/apt.log)"
    for arch in amd64 arm64 armhf; do
      deb=$(ls "$STACK_DIR"/debs/busybox-static_*_"$arch".deb)
      tmp=$(mktemp -d)
      dpkg-deb -x "$deb" "$tmp"
      p=$arch
      [[ $arch == armhf ]] && p=armv7 # named after TARGETARCH+TARGETVARIANT of linux/arm/v7
      install -m 0755 "$tmp/bin/busybox" "$BB/busybox-$p"
      rm -rf "$tmp"
      log "busybox-$p from $(basename "$deb")"
    done
  fi
}

BINFMT=/proc/sys/fs/binfmt_misc
# handler_ok NAME: registered, enabled, and with F (fix-binary): the kernel opens the interpreter
# at registration, so it works inside build containers whose rootfs has no QEMU.
handler_ok() {
  [[ -r $BINFMT/$1 ]] && grep -qx enabled "$BINFMT/$1" && grep -q '^flags: .*F' "$BINFMT/$1"
}

qemu() {
  if [[ ! -e $BINFMT/register ]]; then
    mount -t binfmt_misc binfmt_misc "$BINFMT" 2>>"$LOGS/qemu.log" ||
      unavailable "binfmt_misc is not mounted and cannot be mounted ($(tail -n 1 "$LOGS/qemu.log")); QEMU emulation impossible"
  fi
  [[ -w $BINFMT/register ]] || unavailable "$BINFMT/register is not writable; cannot register QEMU handlers"
  [[ $(<"$BINFMT/status") == enabled ]] || echo 1 >"$BINFMT/status"

  local h conf
  for h in qemu-aarch64 qemu-arm qemu-riscv64; do
    handler_ok "$h" && continue
    # A registration without F would fail inside containers: replace it.
    [[ -e $BINFMT/$h ]] && echo -1 >"$BINFMT/$h"
    update-binfmts --enable "$h" >>"$LOGS/qemu.log" 2>&1 || true
    if ! handler_ok "$h"; then
      # Fall back to the package's systemd-binfmt line (flags include F) written straight in.
      conf=/usr/lib/binfmt.d/$h.conf
      [[ -e $BINFMT/$h ]] && echo -1 >"$BINFMT/$h"
      if [[ -f $conf ]]; then
        grep -v '^[#;]' "$conf" | grep . | head -n 1 >"$BINFMT/register" 2>>"$LOGS/qemu.log" || true
      fi
    fi
    if handler_ok "$h"; then
      log "registered $h ($(grep '^flags' "$BINFMT/$h"))"
    elif [[ $h == qemu-riscv64 ]]; then
      log "note: $h could not be registered; linux/riscv64 will be unavailable"
    else
      unavailable "could not register the $h binfmt handler with flag F (see $LOGS/qemu.log)"
    fi
  done

  # Direct proof that the kernel hands foreign binaries to QEMU.
  local m
  m=$("$BB/busybox-arm64" uname -m 2>&1) || true
  [[ $m == aarch64 ]] || unavailable "an arm64 binary does not run under QEMU (got: $m)"
  m=$("$BB/busybox-armv7" uname -m 2>&1) || true
  [[ $m == armv7l ]] || unavailable "an armhf binary does not run under QEMU (got: $m)"
  log "arm64 and armhf binaries run under QEMU"
}

# reports_version BIN VERSION ARGS...: BIN exists and prints VERSION when asked.
reports_version() {
  local bin=$1 want=$2
  shift 2
  [[ -x $bin ]] && "$bin" "$@" 2>/dev/null | grep -qwF -- "$want"
}

# go_build MODULE VERSION VERSIONPKG CMD...: compile the module's commands into $BIN with the
# version stamped in. The module is built as the main module from a writable copy of its source:
# `go install module/cmd@version` refuses modules whose go.mod has exclude/replace directives
# (BuildKit's does). The copy keeps a fixed path so Go's build cache stays warm across runs.
go_build() {
  local mod=$1 version=$2 vpkg=$3 json dir rev src cmd out t
  shift 3
  json=$(go mod download -json "$mod@$version" 2>>"$LOGS/go.log") || return 1
  dir=$(node -e 'const j = JSON.parse(process.argv[1]); if (j.Error) process.exit(1); console.log(j.Dir)' "$json") || return 1
  rev=$(node -e 'const j = JSON.parse(process.argv[1]); console.log((j.Origin && j.Origin.Hash) || "")' "$json")
  src=$STACK_DIR/src/${mod##*/}@$version
  rm -rf "$src"
  mkdir -p "$STACK_DIR/src"
  cp -r "$dir" "$src"
  chmod -R u+w "$src"
  # One `go build` for all the commands: Go compiles their shared packages once and links them in
  # parallel. No symbol table or DWARF (-s -w): linking is a good part of a warm-cache build.
  out=$BIN/.new-${mod##*/}
  rm -rf "$out"
  mkdir -p "$out"
  log "compiling ${*##*/} $version (minutes on a cold Go cache; log: $LOGS/go.log)"
  t=$(now_ms)
  (cd "$src" && GOFLAGS="-mod=mod -buildvcs=false" go build \
    -ldflags "-s -w -X $vpkg.Version=$version -X $vpkg.Revision=$rev" \
    -o "$out/" "${@/#/./}") >>"$LOGS/go.log" 2>&1 || return 1
  log "compiled ${*##*/} in $(fmt_ms $(($(now_ms) - t)))"
  for cmd in "$@"; do mv -f "$out/${cmd##*/}" "$BIN/${cmd##*/}"; done
  rm -rf "$out"
}

# Newest stable releases of a module, newest first.
stable_versions() {
  (cd / && go list -m -versions "$1" 2>/dev/null) | tr ' ' '\n' | grep -E '^v[0-9]+\.[0-9]+\.[0-9]+$' | sort -rV
}

buildkit_reports() { reports_version "$BIN/buildkitd" "$1" --version && reports_version "$BIN/buildctl" "$1" --version; }
buildx_reports() { reports_version "$BIN/buildx" "$1" version; }

# build_pinned KEY MODULE PINNED VERSIONPKG CHECK CMD...
# Builds PINNED unless the CHECK function says the binaries already report it. If PINNED cannot be built, tries the newest
# releases instead, says so loudly, and remembers the outcome in $BIN/KEY.version so later runs
# do not retry the failing build.
BUILT_VERSION=
build_pinned() {
  local key=$1 mod=$2 pinned=$3 vpkg=$4 check=$5 v record want got fallbacks
  shift 5
  record=$BIN/$key.version
  if [[ -s $record ]] && read -r want got <"$record" && [[ $want == "$pinned" ]] &&
    "$check" "$got"; then
    BUILT_VERSION=$got
    [[ $got == "$pinned" ]] || log "WARNING: using $key $got (pinned $pinned could not be built earlier)"
    log "$key $got already built"
    return 0
  fi
  v=$pinned
  while [[ -n $v ]]; do
    if go_build "$mod" "$v" "$vpkg" "$@" && "$check" "$v"; then
      echo "$pinned $v" >"$record"
      BUILT_VERSION=$v
      [[ $v == "$pinned" ]] || log "WARNING: $key $pinned could not be built; FELL BACK to $v (see $LOGS/go.log)"
      return 0
    fi
    log "building $key $v failed (see $LOGS/go.log)"
    # Pinned version failed: walk down from the newest releases (at most two of them).
    [[ -n ${fallbacks+x} ]] || fallbacks=$(stable_versions "$mod" | grep -vxF -- "$pinned" | head -n 2 | paste -sd' ' -)
    v=${fallbacks%% *}
    [[ $fallbacks == *" "* ]] && fallbacks=${fallbacks#* } || fallbacks=
  done
  die "could not build $key (tried $pinned and the newest releases; see $LOGS/go.log)"
}

tools() {
  build_pinned buildkit github.com/moby/buildkit "$BUILDKIT_VERSION" \
    github.com/moby/buildkit/version buildkit_reports cmd/buildkitd cmd/buildctl
  BUILDKIT_BUILT=$BUILT_VERSION

  build_pinned buildx github.com/docker/buildx "$BUILDX_VERSION" \
    github.com/docker/buildx/version buildx_reports cmd/buildx
  BUILDX_BUILT=$BUILT_VERSION

  # docker CLI plugin, for the user's docker config and for the auth registry's config dir.
  mkdir -p "$(dirname "$PLUGIN")" "$AUTH_DOCKER_CONFIG/cli-plugins"
  cmp -s "$BIN/buildx" "$PLUGIN" || install -m 0755 "$BIN/buildx" "$PLUGIN"
  ln -sfn "$BIN/buildx" "$AUTH_DOCKER_CONFIG/cli-plugins/docker-buildx"
  docker buildx version | grep -qw -- "$BUILDX_BUILT" || die "docker buildx version does not report $BUILDX_BUILT"
  log "$(docker buildx version)"
}

# ---------------------------------------------------------------------------------------------
# cosign, for signing and verifying what the tests push (key pairs only: no transparency log or
# OIDC here). Its module has no exclude/replace directives, so a plain `go install` builds it;
# the version goes in through release-utils' variables, which `cosign version` prints.
COSIGN_MODULE=github.com/sigstore/cosign/v2
COSIGN_VPKG=sigs.k8s.io/release-utils/version
COSIGN_BUILT=

cosign_version() { "$BIN/cosign" version 2>/dev/null | awk '$1 == "GitVersion:" { print $2 }'; }

cosign_install() {
  local rev out ldflags
  COSIGN_BUILT=$(cosign_version || true)
  if [[ $COSIGN_BUILT == "$COSIGN_VERSION" ]]; then
    log "cosign $COSIGN_VERSION already built"
    return 0
  fi
  rev=$(go mod download -json "$COSIGN_MODULE@$COSIGN_VERSION" 2>>"$LOGS/go.log" |
    node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const j = JSON.parse(s); console.log((j.Origin && j.Origin.Hash) || ""); });') ||
    die "cannot download $COSIGN_MODULE@$COSIGN_VERSION from the Go module proxy (see $LOGS/go.log)"
  # One build into a scratch GOBIN, moved into place only once it reports the right version.
  out=$STACK_DIR/cosign-build
  rm -rf "$out"
  mkdir -p "$out"
  log "compiling cosign $COSIGN_VERSION (minutes on a cold Go cache; log: $LOGS/go.log)"
  ldflags="-s -w -X $COSIGN_VPKG.gitVersion=$COSIGN_VERSION -X $COSIGN_VPKG.gitCommit=$rev"
  ldflags+=" -X $COSIGN_VPKG.gitTreeState=clean"
  GOBIN=$out go install -ldflags "$ldflags" "$COSIGN_MODULE/cmd/cosign@$COSIGN_VERSION" >>"$LOGS/go.log" 2>&1 ||
    die "building cosign $COSIGN_VERSION failed (see $LOGS/go.log)"
  mv -f "$out/cosign" "$BIN/cosign"
  rm -rf "$out"
  COSIGN_BUILT=$(cosign_version || true)
  [[ $COSIGN_BUILT == "$COSIGN_VERSION" ]] || die "the cosign just built reports '$COSIGN_BUILT', not $COSIGN_VERSION"
  log "cosign $COSIGN_BUILT at $BIN/cosign"
}

registry_config() { # NAME PORT [htpasswd-file]
  local name=$1 port=$2 htpasswd=${3:-}
  mkdir -p "$STACK_DIR/registry-$name/data"
  {
    cat <<EOF
# Generated by scripts/stack.sh
version: 0.1
log:
  level: info
  fields:
    service: registry-$name
storage:
  filesystem:
    rootdirectory: $STACK_DIR/registry-$name/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  headers:
    X-Content-Type-Options: [nosniff]
EOF
    if [[ -n $htpasswd ]]; then
      cat <<EOF
auth:
  htpasswd:
    realm: multiarch-stack
    path: $htpasswd
EOF
    fi
  } | write_if_changed "$STACK_DIR/registry-$name/config.yml"
}

# start_registry NAME PORT CONFIG_CHANGED EXPECTED_HTTP_CODE
start_registry() {
  local name=$1 port=$2 changed=$3 want=$4 i code
  if running "registry-$name"; then
    if ((changed)); then
      log "registry-$name config changed; restarting"
      stop_bg "registry-$name"
    else
      code=$(http_code "http://127.0.0.1:$port/v2/")
      [[ $code == "$want" ]] && { log "registry-$name already running on :$port"; return 0; }
      log "registry-$name is running but answers $code; restarting"
      stop_bg "registry-$name"
    fi
  fi
  if [[ $(http_code "http://127.0.0.1:$port/v2/") != 000 ]]; then
    # On machines with systemd the Debian package starts its own registry on :5000.
    if [[ $port == 5000 ]] && command -v systemctl >/dev/null && systemctl is-active --quiet docker-registry 2>/dev/null; then
      log "stopping and disabling the distro's docker-registry service, which holds :5000"
      systemctl disable --now docker-registry >>"$LOGS/registry-$name.log" 2>&1 || true
      sleep 1
    fi
    [[ $(http_code "http://127.0.0.1:$port/v2/") == 000 ]] ||
      die "port $port is already in use by a process this script did not start: $(ss -ltnpH "sport = :$port" 2>/dev/null | head -n 1)"
  fi
  start_bg "registry-$name" docker-registry serve "$STACK_DIR/registry-$name/config.yml"
  for ((i = 0; i < 150; i++)); do
    code=$(http_code "http://127.0.0.1:$port/v2/")
    [[ $code == "$want" ]] && { log "registry-$name up on :$port (pid $(<"$RUN/registry-$name.pid"))"; return 0; }
    running "registry-$name" || break
    sleep 0.2
  done
  tail -n 20 "$LOGS/registry-$name.log" >&2
  die "registry-$name did not come up on :$port (last answer: $code)"
}

registries() {
  # Password generated once; htpasswd reads it from stdin (-i), never from argv.
  mkdir -p "$AUTH_DIR"
  chmod 700 "$AUTH_DIR"
  if [[ ! -s $AUTH_PASSWORD_FILE ]]; then
    (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$AUTH_PASSWORD_FILE")
    log "generated a password for $AUTH_USER in $AUTH_PASSWORD_FILE"
  fi
  local htfile=$AUTH_DIR/htpasswd changed
  if ! htpasswd -v -i "$htfile" "$AUTH_USER" <"$AUTH_PASSWORD_FILE" >/dev/null 2>&1; then
    htpasswd -c -B -i "$htfile" "$AUTH_USER" <"$AUTH_PASSWORD_FILE" 2>>"$LOGS/registry-auth.log"
  fi
  # Docker config for the auth registry, written directly (docker login would want an engine
  # first); the password is in the file only, base64-encoded as docker expects.
  (umask 077 && node -e '
    const fs = require("fs");
    const [reg, user, pwFile, out] = process.argv.slice(1);
    const auth = Buffer.from(user + ":" + fs.readFileSync(pwFile, "utf8").trim()).toString("base64");
    fs.writeFileSync(out, JSON.stringify({ auths: { [reg]: { auth } } }, null, 2) + "\n");
  ' "$REG_AUTH" "$AUTH_USER" "$AUTH_PASSWORD_FILE" "$AUTH_DOCKER_CONFIG/config.json.new")
  mv -f "$AUTH_DOCKER_CONFIG/config.json.new" "$AUTH_DOCKER_CONFIG/config.json"

  changed=0
  registry_config plain "$REG_PLAIN_PORT" && changed=1
  start_registry plain "$REG_PLAIN_PORT" "$changed" 200
  changed=0
  registry_config auth "$REG_AUTH_PORT" "$htfile" && changed=1
  start_registry auth "$REG_AUTH_PORT" "$changed" 401
  [[ $(auth_curl -s -o /dev/null -w '%{http_code}' "http://$REG_AUTH/v2/") == 200 ]] ||
    die "the auth registry rejects the generated credentials"
}

# Registries BuildKit reaches over plain HTTP: 5000 plain, 5001 basic auth, 5002-5009 for test
# proxies, and the two registries' ports when they are moved.
insecure_ports() {
  local p ports=(5000 5001 5002 5003 5004 5005 5006 5007 5008 5009)
  for p in "$REG_PLAIN_PORT" "$REG_AUTH_PORT"; do [[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p"); done
  echo "${ports[*]}"
}

# A second stack's daemon gets its own trace socket: the default one is a fixed path the first
# stack's daemon holds. (Left out for the default stack, whose config stays as it was.)
otel_config() {
  [[ $STACK_DIR == /var/tmp/multiarch-stack ]] || printf '[otel]\n  socketPath = "%s"\n\n' "$STACK_DIR/otel-grpc.sock"
}

buildkitd_config() {
  local snapshotter=$1 port
  {
    cat <<EOF
# Generated by scripts/stack.sh
root = "$STACK_DIR/buildkit-root"

EOF
    otel_config
    cat <<EOF
# OCI worker on Debian's runc. The containerd worker is off: no containerd runs here.
[worker.oci]
  enabled = true
  binary = "runc"
  snapshotter = "$snapshotter"

[worker.containerd]
  enabled = false

# Local registries over plain HTTP: 5000 plain, 5001 basic auth, 5002-5009 for test proxies.
EOF
    for port in $(insecure_ports); do
      printf '[registry."127.0.0.1:%s"]\n  http = true\n  insecure = true\n\n' "$port"
    done
  } | write_if_changed "$BUILDKITD_CONFIG"
}

buildkitd_ready() {
  local p
  "$BIN/buildctl" --addr "$BUILDKIT_HOST" debug workers >/dev/null 2>&1 || return 1
  p=$(worker_platforms)
  grep -qx linux/arm64 <<<"$p" && grep -qx linux/arm/v7 <<<"$p"
}

start_buildkitd() {
  local i
  start_bg buildkitd buildkitd --addr "$BUILDKIT_HOST" --root "$STACK_DIR/buildkit-root" --config "$BUILDKITD_CONFIG"
  for ((i = 0; i < 300; i++)); do
    buildkitd_ready && return 0
    running buildkitd || return 1
    sleep 0.2
  done
  return 1
}

buildkitd_up() {
  # overlayfs is what BuildKit picks by default and works on this kind of machine (ext4 root,
  # CAP_SYS_ADMIN); where the kernel refuses overlay mounts, native (plain copies) is the fallback.
  local snapshotter=overlayfs changed=0
  [[ -s $STACK_DIR/buildkitd.snapshotter ]] && snapshotter=$(<"$STACK_DIR/buildkitd.snapshotter")
  buildkitd_config "$snapshotter" && changed=1

  if running buildkitd; then
    local exe
    exe=$(readlink "/proc/$(<"$RUN/buildkitd.pid")/exe" || true)
    if ((changed)) || [[ $exe == *" (deleted)" ]]; then
      log "buildkitd config or binary changed; restarting"
      stop_bg buildkitd
    elif buildkitd_ready; then
      log "buildkitd already running (pid $(<"$RUN/buildkitd.pid"))"
      return 0
    else
      # e.g. started before the QEMU handlers were registered: platforms are probed at start.
      log "buildkitd is running without linux/arm64 + linux/arm/v7; restarting"
      stop_bg buildkitd
    fi
  fi
  [[ -S $BUILDKITD_SOCK ]] && rm -f "$BUILDKITD_SOCK"

  if ! start_buildkitd; then
    tail -n 15 "$LOGS/buildkitd.log" >&2
    stop_bg buildkitd
    if [[ $snapshotter != native ]]; then
      log "buildkitd did not come up with the $snapshotter snapshotter; retrying with native"
      echo native >"$STACK_DIR/buildkitd.snapshotter"
      buildkitd_config native || true
      start_buildkitd || {
        tail -n 15 "$LOGS/buildkitd.log" >&2
        stop_bg buildkitd
        unavailable "buildkitd does not start a worker with linux/arm64 and linux/arm/v7 here (see $LOGS/buildkitd.log)"
      }
    else
      unavailable "buildkitd does not start a worker with linux/arm64 and linux/arm/v7 here (see $LOGS/buildkitd.log)"
    fi
  fi
  log "buildkitd up (pid $(<"$RUN/buildkitd.pid")); platforms: $(worker_platforms | paste -sd, -)"
}

builder() {
  local info
  info=$(docker buildx inspect "$BUILDER" 2>/dev/null || true)
  if [[ -n $info ]] && ! grep -q "Endpoint: *$BUILDKIT_HOST\$" <<<"$info"; then
    log "builder $BUILDER points elsewhere; recreating"
    docker buildx rm "$BUILDER" >/dev/null
    info=
  fi
  if [[ -z $info ]]; then
    docker buildx create --name "$BUILDER" --driver remote "$BUILDKIT_HOST" >/dev/null
    log "created builder $BUILDER (remote driver, $BUILDKIT_HOST)"
  fi
  docker buildx inspect --bootstrap "$BUILDER" >/dev/null
}

base_image() {
  local targets=() t ctx
  base_present "$REG_PLAIN" || targets+=("$REG_PLAIN/$BASE_REPO")
  base_present "$REG_AUTH" auth || targets+=("$REG_AUTH/$BASE_REPO")
  if ((${#targets[@]} == 0)); then
    log "$BASE_REPO already in both registries"
    return 0
  fi
  ctx=$STACK_DIR/base-context
  mkdir -p "$ctx"
  for t in amd64 arm64 armv7; do cmp -s "$BB/busybox-$t" "$ctx/busybox-$t" || cp "$BB/busybox-$t" "$ctx/busybox-$t"; done
  log "building and pushing ${targets[*]}"
  # No provenance/SBOM: the index should list exactly the three platforms. The auth registry's
  # docker config supplies its credentials through the buildx session.
  DOCKER_CONFIG=$AUTH_DOCKER_CONFIG docker buildx build --builder "$BUILDER" \
    --platform "$(IFS=,; echo "${BASE_PLATFORMS[*]}")" --provenance=false --sbom=false \
    -f "$HERE/stack/base.Dockerfile" "${targets[@]/#/--tag=}" --push --progress=plain \
    "$ctx" >>"$LOGS/base-image.log" 2>&1 || { tail -n 20 "$LOGS/base-image.log" >&2; die "base image build failed"; }
  if ! base_present "$REG_PLAIN" || ! base_present "$REG_AUTH" auth; then
    die "base image is not complete in the registries after the push"
  fi
}

verify() {
  local out p inspect
  # A RUN step per foreign platform, never cached, so QEMU is exercised for real every time.
  out=$(mktemp -d)
  docker buildx build --builder "$BUILDER" --platform linux/arm64,linux/arm/v7 --no-cache \
    --build-arg "BASE=$REG_PLAIN/$BASE_REPO" -f "$HERE/stack/verify.Dockerfile" \
    --output "type=local,dest=$out" --progress=plain "$HERE/stack" >>"$LOGS/verify.log" 2>&1 ||
    { tail -n 20 "$LOGS/verify.log" >&2; rm -rf "$out"; unavailable "a RUN step for linux/arm64 or linux/arm/v7 fails under QEMU (see $LOGS/verify.log)"; }
  [[ $(<"$out/linux_arm64/arch") == aarch64 ]] || unavailable "linux/arm64 RUN printed '$(<"$out/linux_arm64/arch")', not aarch64"
  [[ $(<"$out/linux_arm_v7/arch") == armv7l ]] || unavailable "linux/arm/v7 RUN printed '$(<"$out/linux_arm_v7/arch")', not armv7l"
  rm -rf "$out"
  log "RUN under QEMU: linux/arm64 -> aarch64, linux/arm/v7 -> armv7l"

  inspect=$(docker buildx imagetools inspect "$REG_PLAIN/$BASE_REPO")
  for p in "${BASE_PLATFORMS[@]}"; do
    grep -Eq "Platform: +$p\$" <<<"$inspect" || die "imagetools inspect $REG_PLAIN/$BASE_REPO lacks $p"
  done
  inspect=$(DOCKER_CONFIG=$AUTH_DOCKER_CONFIG docker buildx imagetools inspect "$REG_AUTH/$BASE_REPO")
  for p in "${BASE_PLATFORMS[@]}"; do
    grep -Eq "Platform: +$p\$" <<<"$inspect" || die "imagetools inspect $REG_AUTH/$BASE_REPO lacks $p"
  done
  [[ $(http_code "http://$REG_AUTH/v2/") == 401 ]] || die "the auth registry answers without credentials"
  log "imagetools lists ${BASE_PLATFORMS[*]} in both registries"
}

# ---------------------------------------------------------------------------------------------
# Extra BuildKit nodes: one daemon per platform, each on its own socket, root and config, each
# declaring exactly one platform, so a multi-node buildx builder routes every platform to its
# own daemon and each daemon's build history shows what it built. arm64 executes under QEMU
# here but is declared arm64; 386 executes natively, so amd64 + 386 are two truly native nodes.

NODES=(amd64=linux/amd64 arm64=linux/arm64 386=linux/386)
NODES_DIR=$STACK_DIR/nodes

node_sock() { echo "$NODES_DIR/$1/buildkitd.sock"; }
node_addr() { echo "unix://$(node_sock "$1")"; }

node_platforms() {
  "$BIN/buildctl" --addr "$(node_addr "$1")" debug workers 2>/dev/null | awk 'NR > 1 { print $2 }' | tr ',' '\n'
}

# node_ready NAME PLATFORM: answers, and its worker declares PLATFORM first (BuildKit lists the
# platforms it could emulate after the declared one; buildx pins each node to its --platform).
node_ready() {
  [[ $(node_platforms "$1" | head -n 1) == "$2" ]]
}

# node_config NAME SNAPSHOTTER: the main daemon's registry settings, its own root and trace socket
# (the default trace socket is one fixed path that two daemons would both claim).
node_config() {
  local name=$1 snapshotter=$2 dir=$NODES_DIR/$1 port
  mkdir -p "$dir"
  {
    cat <<EOF
# Generated by scripts/stack.sh: BuildKit node "$name"
root = "$dir/root"

[otel]
  socketPath = "$dir/otel-grpc.sock"

[worker.oci]
  enabled = true
  binary = "runc"
  snapshotter = "$snapshotter"

[worker.containerd]
  enabled = false

EOF
    for port in $(insecure_ports); do
      printf '[registry."127.0.0.1:%s"]\n  http = true\n  insecure = true\n\n' "$port"
    done
  } | write_if_changed "$dir/buildkitd.toml"
}

# nodes_up: starts the missing nodes all at once, then waits for each (a daemon needs about a
# second; waiting for each in turn would add those seconds up).
nodes_up() {
  local snapshotter=overlayfs entry name platform changed exe started=() i
  [[ -s $STACK_DIR/buildkitd.snapshotter ]] && snapshotter=$(<"$STACK_DIR/buildkitd.snapshotter")
  for entry in "${NODES[@]}"; do
    name=${entry%%=*} platform=${entry#*=} changed=0
    node_config "$name" "$snapshotter" && changed=1
    if running "node-$name"; then
      exe=$(readlink "/proc/$(<"$RUN/node-$name.pid")/exe" || true)
      if ((changed)) || [[ $exe == *" (deleted)" ]]; then
        log "node $name: config or binary changed; restarting"
      elif node_ready "$name" "$platform"; then
        log "node $name already running (pid $(<"$RUN/node-$name.pid"))"
        continue
      else
        log "node $name is running but does not declare $platform first; restarting"
      fi
      stop_bg "node-$name"
    fi
    rm -f "$(node_sock "$name")"
    start_bg "node-$name" buildkitd --addr "$(node_addr "$name")" --root "$NODES_DIR/$name/root" \
      --config "$NODES_DIR/$name/buildkitd.toml" --oci-worker-platform "$platform"
    started+=("$entry")
  done
  for entry in "${started[@]}"; do
    name=${entry%%=*} platform=${entry#*=}
    for ((i = 0; i < 300; i++)); do
      node_ready "$name" "$platform" && break
      running "node-$name" || break
      sleep 0.2
    done
    if ! node_ready "$name" "$platform"; then
      tail -n 15 "$LOGS/node-$name.log" >&2
      die "BuildKit node $name did not come up declaring $platform (see $LOGS/node-$name.log)"
    fi
    log "node $name up (pid $(<"$RUN/node-$name.pid")): $platform at $(node_addr "$name")"
  done
}

nodes_down() {
  local entry names=()
  for entry in "${NODES[@]}"; do names+=("node-${entry%%=*}"); done
  stop_bg "${names[@]}"
  for entry in "${NODES[@]}"; do rm -f "$(node_sock "${entry%%=*}")"; done
}

# nodes_status: one line per node; status 1 when any is not up as declared.
nodes_status() {
  local entry name platform bad=0 pid
  for entry in "${NODES[@]}"; do
    name=${entry%%=*} platform=${entry#*=}
    if ! running "node-$name"; then
      printf '%-22s %s\n' "node $name" "stopped"
      bad=1
      continue
    fi
    pid=$(<"$RUN/node-$name.pid")
    if node_ready "$name" "$platform"; then
      printf '%-22s %s\n' "node $name" "running (pid $pid), $platform at $(node_addr "$name")"
    else
      printf '%-22s %s\n' "node $name" "running (pid $pid) but NOT declaring $platform first"
      bad=1
    fi
  done
  return $bad
}

# A base image for multi-node builds: the stack's base plus linux/386, so amd64 + 386 (two
# natively executing nodes) can run the same RUN steps. A separate repository: the main base
# keeps exactly its three platforms for the suites that count them.
NODES_BASE_REPO=base/busybox-nodes:latest
NODES_BASE_PLATFORMS=(linux/amd64 linux/arm64 linux/arm/v7 linux/386)

# Before `packages`: on a fresh machine its one apt-get update then fetches the i386 index too.
nodes_arch() {
  dpkg --print-foreign-architectures | grep -qx i386 || dpkg --add-architecture i386
}

# nodes_busybox: Debian's static busybox for i386, beside the others in $BB.
nodes_busybox() {
  [[ -x $BB/busybox-386 ]] && return 0
  nodes_arch
  if [[ $(apt-cache policy busybox-static:i386 2>/dev/null | grep -c 'Candidate: [0-9]') != 1 ]]; then apt_update; fi
  local deb tmp
  mkdir -p "$STACK_DIR/debs"
  (cd "$STACK_DIR/debs" && rm -f busybox-static_*_i386.deb &&
    apt-get download -q -o APT::Sandbox::User=root busybox-static:i386 >>"$LOGS/apt.log" 2>&1) ||
    die "apt-get download busybox-static:i386 failed (see $LOGS/apt.log)"
  deb=$(ls "$STACK_DIR"/debs/busybox-static_*_i386.deb)
  tmp=$(mktemp -d)
  dpkg-deb -x "$deb" "$tmp"
  install -m 0755 "$tmp/bin/busybox" "$BB/busybox-386"
  rm -rf "$tmp"
  log "busybox-386 from $(basename "$deb")"
}

nodes_base_present() {
  local out p
  out=$(curl -sf --max-time 10 \
    -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json' \
    "http://$REG_PLAIN/v2/${NODES_BASE_REPO%:*}/manifests/${NODES_BASE_REPO##*:}" | index_platforms 2>/dev/null) || return 1
  for p in "${NODES_BASE_PLATFORMS[@]}"; do grep -qx "$p" <<<"$out" || return 1; done
}

nodes_base_image() {
  if nodes_base_present; then
    log "$NODES_BASE_REPO already in $REG_PLAIN"
    return 0
  fi
  nodes_busybox
  local ctx=$STACK_DIR/nodes-base-context t
  mkdir -p "$ctx"
  for t in amd64 arm64 armv7 386; do cmp -s "$BB/busybox-$t" "$ctx/busybox-$t" || cp "$BB/busybox-$t" "$ctx/busybox-$t"; done
  log "building and pushing $REG_PLAIN/$NODES_BASE_REPO"
  docker buildx build --builder "$BUILDER" \
    --platform "$(IFS=,; echo "${NODES_BASE_PLATFORMS[*]}")" --provenance=false --sbom=false \
    -f "$HERE/stack/base.Dockerfile" --tag "$REG_PLAIN/$NODES_BASE_REPO" --push --progress=plain \
    "$ctx" >>"$LOGS/nodes-base-image.log" 2>&1 || { tail -n 20 "$LOGS/nodes-base-image.log" >&2; die "nodes base image build failed"; }
  nodes_base_present || die "$REG_PLAIN/$NODES_BASE_REPO lacks one of ${NODES_BASE_PLATFORMS[*]} after the push"
}

# ---------------------------------------------------------------------------------------------
# The Actions cache (v2) stand-in: Azurite (npm, pinned by scripts/stack/azurite's lock file) as
# the blob server, and our Twirp service, which signs Azurite URLs and issues runtime tokens.

azurite_up() { [[ $(http_code "http://127.0.0.1:$AZURITE_PORT/devstoreaccount1?comp=list") == 403 ]]; }
actions_cache_up() { curl -sf --max-time 5 "http://$ACTIONS_CACHE_ADDR/_standin/health" | grep -q '"ok":true'; }

actions_cache() {
  local dir=$ACTIONS_CACHE_DIR changed=0 i
  mkdir -p "$dir/azurite" "$dir/blobs" "$dir/state"
  # npm ci from the committed lock file, again only when the lock changed.
  if ! cmp -s "$HERE/stack/azurite/package-lock.json" "$dir/azurite/package-lock.json" ||
    [[ ! -f $dir/azurite/node_modules/azurite/dist/src/blob/main.js ]]; then
    cp "$HERE/stack/azurite/package.json" "$HERE/stack/azurite/package-lock.json" "$dir/azurite/"
    log "installing azurite $(node -p 'require(process.argv[1]).dependencies.azurite' "$dir/azurite/package.json") (npm ci)"
    (cd "$dir/azurite" && npm ci --no-audit --no-fund --ignore-scripts >>"$LOGS/azurite-install.log" 2>&1) ||
      { tail -n 20 "$LOGS/azurite-install.log" >&2; die "npm ci of azurite failed"; }
    running azurite && stop_bg azurite
  fi
  if ! running azurite || ! azurite_up; then
    running azurite && stop_bg azurite
    [[ $(http_code "http://127.0.0.1:$AZURITE_PORT/") == 000 ]] || die "port $AZURITE_PORT is in use by a process this script did not start"
    start_bg azurite node "$dir/azurite/node_modules/azurite/dist/src/blob/main.js" --blobHost 127.0.0.1 \
      --blobPort "$AZURITE_PORT" --location "$dir/blobs" --skipApiVersionCheck --loose --silent
    for ((i = 0; i < 150; i++)); do azurite_up && break; running azurite || break; sleep 0.2; done
    azurite_up || { tail -n 20 "$LOGS/azurite.log" >&2; die "azurite did not come up on :$AZURITE_PORT"; }
    log "azurite up on :$AZURITE_PORT (pid $(<"$RUN/azurite.pid"))"
  else
    log "azurite already running on :$AZURITE_PORT"
  fi
  # The service runs from a copy in the stack dir: a new version of the script restarts it.
  cmp -s "$HERE/stack/actions-cache.mjs" "$dir/actions-cache.mjs" || { cp "$HERE/stack/actions-cache.mjs" "$dir/"; changed=1; }
  if ((changed)) || ! running actions-cache || ! actions_cache_up; then
    running actions-cache && stop_bg actions-cache
    [[ $(http_code "http://$ACTIONS_CACHE_ADDR/") == 000 ]] || die "$ACTIONS_CACHE_ADDR is in use by a process this script did not start"
    start_bg actions-cache node "$dir/actions-cache.mjs" --listen "$ACTIONS_CACHE_ADDR" --state "$dir/state" \
      --blob "http://127.0.0.1:$AZURITE_PORT"
    for ((i = 0; i < 100; i++)); do actions_cache_up && break; running actions-cache || break; sleep 0.2; done
    actions_cache_up || { tail -n 20 "$LOGS/actions-cache.log" >&2; die "the Actions cache stand-in did not come up on $ACTIONS_CACHE_ADDR"; }
    log "actions cache stand-in up on $ACTIONS_CACHE_ADDR (pid $(<"$RUN/actions-cache.pid"))"
  else
    log "actions cache stand-in already running on $ACTIONS_CACHE_ADDR"
  fi
}

# mint_token SCOPES_JSON: a runtime token of repository 1 with those scopes, on stdout.
mint_token() { node "$ACTIONS_CACHE_DIR/actions-cache.mjs" --mint --state "$ACTIONS_CACHE_DIR/state" --scopes "$1"; }

# For env.json: {"amd64": "unix:///…", …}, the nodes that are up (none after `up core`, so the
# suites that need them skip with a reason instead of failing on a missing socket).
nodes_json() {
  local entry sep='' out='{'
  for entry in "${NODES[@]}"; do
    node_ready "${entry%%=*}" "${entry#*=}" || continue
    out+="$sep\"${entry%%=*}\": \"$(node_addr "${entry%%=*}")\""
    sep=', '
  done
  echo "$out}"
}

write_env() {
  local nodes_base=
  nodes_base_present && nodes_base=$REG_PLAIN/$NODES_BASE_REPO
  COSIGN_BUILT=$(cosign_version || true)
  local runners=
  [[ -x $BIN/act && -x $BIN/gitlab-ci-local ]] && runners=1
  # Tokens as the runner issues them: a push to main (read-write main), a run given a read-only
  # token (an untrusted trigger), a pull request (write its merge ref, read main). None after
  # `up core`, which leaves the stand-in out.
  local ac_token= ac_read_only= ac_pr=
  if running actions-cache && actions_cache_up; then
    ac_token=$(mint_token '[{"scope":"refs/heads/main","permission":3}]')
    ac_read_only=$(mint_token '[{"scope":"refs/heads/main","permission":1}]')
    ac_pr=$(mint_token '[{"scope":"refs/pull/7/merge","permission":3},{"scope":"refs/heads/main","permission":1}]')
  fi
  AC_TOKEN=$ac_token AC_READ_ONLY_TOKEN=$ac_read_only AC_PR_TOKEN=$ac_pr \
    WORKER_PLATFORMS=$(worker_platforms | paste -sd, -) NODES_JSON=$(nodes_json) NODES_BASE_IMAGE=$nodes_base \
    COSIGN_BUILT=$COSIGN_BUILT RUNNERS_BUILT=$runners node -e '
    const e = process.env, fs = require("fs");
    const env = {
      registry: e.REG_PLAIN,
      authRegistry: e.REG_AUTH,
      authUser: e.AUTH_USER,
      authPasswordFile: e.AUTH_PASSWORD_FILE,
      authDockerConfig: e.AUTH_DOCKER_CONFIG,
      buildkitHost: e.BUILDKIT_HOST,
      buildkitdConfig: e.BUILDKITD_CONFIG,
      buildx: e.BIN + "/buildx",
      buildxPlugin: e.PLUGIN,
      buildctl: e.BIN + "/buildctl",
      builder: e.BUILDER,
      buildkitVersion: e.BUILDKIT_BUILT,
      buildxVersion: e.BUILDX_BUILT,
      cosign: e.COSIGN_BUILT ? e.BIN + "/cosign" : undefined,
      cosignVersion: e.COSIGN_BUILT || undefined,
      baseImage: e.REG_PLAIN + "/" + e.BASE_REPO,
      authBaseImage: e.REG_AUTH + "/" + e.BASE_REPO,
      platforms: e.BASE_PLATFORMS_STR.split(" "),
      workerPlatforms: e.WORKER_PLATFORMS.split(",").filter(Boolean),
      nodes: JSON.parse(e.NODES_JSON || "{}"),
      nodesBaseImage: e.NODES_BASE_IMAGE || undefined,
      act: e.RUNNERS_BUILT ? e.BIN + "/act" : undefined,
      gitlabCiLocal: e.RUNNERS_BUILT ? e.BIN + "/gitlab-ci-local" : undefined,
      actionsCache: e.AC_TOKEN ? {
        resultsUrl: "http://" + e.ACTIONS_CACHE_ADDR + "/",
        token: e.AC_TOKEN,
        readOnlyToken: e.AC_READ_ONLY_TOKEN,
        prToken: e.AC_PR_TOKEN,
        mintUrl: "http://" + e.ACTIONS_CACHE_ADDR + "/_standin/token",
        statsUrl: "http://" + e.ACTIONS_CACHE_ADDR + "/_standin/stats",
        blobUrl: "http://127.0.0.1:" + e.AZURITE_PORT,
      } : undefined,
    };
    fs.writeFileSync(e.STACK_DIR + "/env.json", JSON.stringify(env, null, 2) + "\n");
  '
}

# up [all|core]: `core` leaves out what only some test suites use (cosign, the extra nodes and
# their base image); a later `up` adds them. Each left-out part is named in the log.
up() {
  local t0 set=${1:-all}
  [[ $set == all || $set == core ]] || { echo "usage: $0 up [all|core]" >&2; exit 2; }
  t0=$(now_ms)
  trap 'on_err $LINENO' ERR
  phase preflight preflight
  take_lock 1800
  write_status "starting"
  [[ $set == core ]] || nodes_arch
  phase packages packages
  phase qemu qemu
  phase tools tools
  if [[ $set == all ]]; then phase cosign cosign_install; fi
  # The workflow runners (act, gitlab-ci-local) are for the tests only, like cosign and the nodes.
  if [[ $set == all ]]; then phase runners bash "$HERE/stack/runners.sh" "$BIN" "$LOGS/runners.log"; fi
  phase registries registries
  if [[ $set == all ]]; then phase actions-cache actions_cache; fi
  phase buildkitd buildkitd_up
  if [[ $set == all ]]; then phase nodes nodes_up; fi
  phase builder builder
  phase base-image base_image
  if [[ $set == all ]]; then phase nodes-base nodes_base_image; fi
  phase verify verify
  [[ $set == all ]] || log "left out (up core): cosign, act, gitlab-ci-local, the Actions cache stand-in, the BuildKit nodes and their base image; \`bash scripts/stack.sh up\` adds them"
  export REG_PLAIN REG_AUTH AUTH_USER AUTH_PASSWORD_FILE AUTH_DOCKER_CONFIG BUILDKIT_HOST \
    BUILDKITD_CONFIG BIN PLUGIN BUILDER BUILDKIT_BUILT BUILDX_BUILT BASE_REPO STACK_DIR
  export ACTIONS_CACHE_ADDR AZURITE_PORT
  export BASE_PLATFORMS_STR="${BASE_PLATFORMS[*]}"
  phase env write_env
  write_status ok

  local entry total=$(($(now_ms) - t0))
  log "timings:"
  for entry in "${TIMINGS[@]}"; do printf '  %-12s %8s\n' "${entry%%=*}" "$(fmt_ms "${entry#*=}")" >&2; done
  printf '  %-12s %8s\n' total "$(fmt_ms "$total")" >&2
  [[ $BUILDKIT_BUILT == "$BUILDKIT_VERSION" ]] || log "NOTE: BuildKit is $BUILDKIT_BUILT, not the pinned $BUILDKIT_VERSION"
  [[ $BUILDX_BUILT == "$BUILDX_VERSION" ]] || log "NOTE: buildx is $BUILDX_BUILT, not the pinned $BUILDX_VERSION"
  log "stack is up: $STACK_DIR/env.json"
}

down() {
  [[ -d $STACK_DIR ]] || { log "nothing to stop ($STACK_DIR does not exist)"; return 0; }
  take_lock 300
  nodes_down
  stop_bg buildkitd
  # buildkitd unmounts on SIGTERM; after a SIGKILL some mounts could linger under its root.
  local m
  awk -v d="$STACK_DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  rm -f "$BUILDKITD_SOCK"
  stop_bg registry-auth registry-plain actions-cache azurite
  if command -v docker >/dev/null && docker buildx inspect "$BUILDER" >/dev/null 2>&1; then
    docker buildx rm "$BUILDER" >/dev/null 2>&1 || true
    log "removed builder $BUILDER"
  fi
  write_status "stopped"
  log "stack stopped (binaries, images and data stay in $STACK_DIR)"
}

status() {
  local bad=0 h code
  PHASE=status # read-only: never rewrites the status file
  line() { printf '%-22s %s\n' "$1" "$2"; }
  line "stack dir" "$STACK_DIR"
  line "status file" "$(cat "$STACK_DIR/status" 2>/dev/null || echo '(none)')"
  for h in qemu-aarch64 qemu-arm qemu-riscv64; do
    if handler_ok "$h"; then line "binfmt $h" "enabled, $(grep '^flags' "$BINFMT/$h")"
    else line "binfmt $h" "NOT registered with F"; [[ $h == qemu-riscv64 ]] || bad=1; fi
  done
  line buildkitd-bin "$("$BIN/buildkitd" --version 2>/dev/null || echo missing)"
  line buildx-plugin "$(docker buildx version 2>/dev/null || echo missing)"
  h=$(cosign_version || true)
  line cosign "${h:-missing} ($BIN/cosign)"
  [[ $h == "$COSIGN_VERSION" ]] || bad=1
  for h in "registry-plain:$REG_PLAIN_PORT:200" "registry-auth:$REG_AUTH_PORT:401" buildkitd; do
    local name=${h%%:*}
    if running "$name"; then
      if [[ $name == buildkitd ]]; then
        if buildkitd_ready; then line "$name" "running (pid $(<"$RUN/$name.pid")), platforms: $(worker_platforms | paste -sd, -)"
        else line "$name" "running (pid $(<"$RUN/$name.pid")) but NOT ready"; bad=1; fi
      else
        code=$(http_code "http://127.0.0.1:$(cut -d: -f2 <<<"$h")/v2/")
        line "$name" "running (pid $(<"$RUN/$name.pid")), /v2/ -> $code"
        [[ $code == "${h##*:}" ]] || bad=1
      fi
    else
      line "$name" "stopped"; bad=1
    fi
  done
  if running azurite && azurite_up; then line azurite "running (pid $(<"$RUN/azurite.pid")) on :$AZURITE_PORT"
  else line azurite "NOT running on :$AZURITE_PORT"; bad=1; fi
  if running actions-cache && actions_cache_up; then line actions-cache "running (pid $(<"$RUN/actions-cache.pid")) on $ACTIONS_CACHE_ADDR"
  else line actions-cache "NOT running on $ACTIONS_CACHE_ADDR"; bad=1; fi
  nodes_status || bad=1
  if nodes_base_present; then line "nodes base image" "$REG_PLAIN/$NODES_BASE_REPO (${NODES_BASE_PLATFORMS[*]})"
  else line "nodes base image" "missing in $REG_PLAIN"; bad=1; fi
  if base_present "$REG_PLAIN"; then line "base image" "$REG_PLAIN/$BASE_REPO (${BASE_PLATFORMS[*]})"
  else line "base image" "missing in $REG_PLAIN"; bad=1; fi
  if [[ -s $AUTH_PASSWORD_FILE ]] && base_present "$REG_AUTH" auth; then line "auth base image" "$REG_AUTH/$BASE_REPO"
  else line "auth base image" "missing in $REG_AUTH"; bad=1; fi
  return $bad
}

# In braces, so bash has read the whole file before running anything: editing the script while a
# run is in progress cannot change what that run executes.
{
  case ${1:-} in
    up) up "${2:-all}" ;;
    down) down ;;
    status) status ;;
    *)
      echo "usage: $0 up [core]|down|status" >&2
      exit 2
      ;;
  esac
  exit
}
