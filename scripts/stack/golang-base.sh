#!/usr/bin/env bash
# A multi-arch Go toolchain base image from Debian's packages, as base.Dockerfile makes busybox:
# golang-1.19-go and libc6 (the go command is linked against glibc) for amd64, arm64 and i386, the
# standard library's sources (golang-1.19-src) and the stack's static busybox, for linux/amd64,
# linux/arm64 and linux/386. The Go module proxy here refuses toolchain modules, and no public
# registry is reachable, so this is how an image gets a Go compiler.
#
# Lazy: the bench (section 10) runs it when REGISTRY/base/golang:1.19 is missing; `stack.sh up`
# does not (CI time matters). It needs the stack's busybox binaries, busybox-386 included (the
# full `stack.sh up` makes it, with the nodes).
#
#   bash scripts/stack/golang-base.sh REGISTRY BUILDER     pushes REGISTRY/base/golang:1.19
#
# The precompiled standard library (pkg/linux_*) is left out: every build compiles what it uses,
# as Go 1.20 and later always do, so emulated, cross and native builds do the same work.
set -euo pipefail
export LC_ALL=C
[[ $# == 2 ]] || { echo "usage: $0 REGISTRY BUILDER" >&2; exit 2; }
REG=$1
BUILDER=$2
STACK_DIR=${STACK_DIR:-/var/tmp/multiarch-stack}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GO=1.19
BB=$STACK_DIR/busybox
WORK=$STACK_DIR/golang-base
# Debian architecture → Docker's TARGETARCH.
declare -A TARGET=([amd64]=amd64 [arm64]=arm64 [i386]=386)

# Captured first: `dpkg … | grep -q` fails under pipefail when grep stops reading early.
foreign=$(dpkg --print-foreign-architectures)
native=$(dpkg --print-architecture)
for a in "${!TARGET[@]}"; do
  [[ -x $BB/busybox-${TARGET[$a]} ]] || {
    echo "$BB/busybox-${TARGET[$a]} is missing: run bash scripts/stack.sh up (the nodes make busybox-386)" >&2
    exit 1
  }
  grep -qx "$a" <<<"$foreign" || [[ $native == "$a" ]] || {
    echo "dpkg does not know the $a architecture: run bash scripts/stack.sh up" >&2
    exit 1
  }
done

mkdir -p "$WORK/debs"
(
  cd "$WORK/debs"
  want=(golang-$GO-src)
  for a in "${!TARGET[@]}"; do want+=("golang-$GO-go:$a" "libc6:$a"); done
  missing=()
  for p in "${want[@]}"; do
    name=${p%%:*} arch=${p#*:}
    [[ $arch == "$p" ]] && arch=all
    compgen -G "${name}_*_${arch}.deb" >/dev/null || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "downloading ${missing[*]}"
    apt-get download -q -o APT::Sandbox::User=root "${missing[@]}" ||
      { apt-get update -q >/dev/null && apt-get download -q -o APT::Sandbox::User=root "${missing[@]}"; }
  fi
)

ctx=$WORK/context
rm -rf "$ctx"
mkdir -p "$ctx/src"
dpkg-deb -x "$(ls "$WORK"/debs/golang-$GO-src_*_all.deb)" "$ctx/src"
# What building a program needs of the sources: no commands' sources, tests or test data.
(
  cd "$ctx/src/usr/share/go-$GO/src"
  rm -rf cmd
  find . -name testdata -type d -prune -exec rm -rf {} +
  find . -name '*_test.go' -delete
)
for a in "${!TARGET[@]}"; do
  t=${TARGET[$a]}
  root=$ctx/rootfs-$t
  mkdir -p "$root"
  dpkg-deb -x "$(ls "$WORK"/debs/golang-$GO-go_*_"$a".deb)" "$root"
  dpkg-deb -x "$(ls "$WORK"/debs/libc6_*_"$a".deb)" "$root"
  # usr/share/go-1.19 holds files generated for this architecture (zversion.go, pkg/include): kept.
  find "$root/usr/share" -mindepth 1 -maxdepth 1 ! -name "go-$GO" -exec rm -rf {} +
  rm -rf "$root"/usr/lib/go-$GO/pkg/linux_* "$root"/usr/lib/go-$GO/{api,misc,test}
  tools=$(echo "$root"/usr/lib/go-$GO/pkg/tool/linux_*)
  for tool in "$tools"/*; do
    case ${tool##*/} in compile | link | asm | buildid | pack | cgo) ;; *) rm -f "$tool" ;; esac
  done
  cp "$BB/busybox-$t" "$ctx/busybox-$t"
done

docker buildx build --builder "$BUILDER" --platform linux/amd64,linux/arm64,linux/386 \
  -f "$HERE/golang.Dockerfile" --tag "$REG/base/golang:$GO" --push --progress=plain "$ctx"
