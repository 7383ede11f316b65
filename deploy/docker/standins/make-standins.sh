#!/usr/bin/env bash
# Builds local stand-ins for the official base images, for machines that cannot pull them (no registry reachable):
# Debian roots from debootstrap imported with `podman import`, plus this machine's own .NET installation.
#   deploy/docker/standins/make-standins.sh cpu|rocm|rocm-root...
#
#   rocm-root: only the ROCm build root below (no podman needed): what CI's HIP compile check builds in.
#
#   cpu:  $PREFIX/debian:bookworm     debootstrap --variant=minbase bookworm
#         $PREFIX/dotnet-sdk:10.0     bookworm + ICU/OpenSSL + the local .NET SDK    (for mcr.microsoft.com/dotnet/sdk)
#         $PREFIX/dotnet-aspnet:10.0  bookworm + ICU/OpenSSL + the local runtimes    (for mcr.microsoft.com/dotnet/aspnet)
#   rocm: the cpu ones, and
#         $PREFIX/debian:trixie       debootstrap --variant=minbase trixie           (runtime base, for ubuntu:24.04)
#         $PREFIX/rocm-build:trixie   trixie + hipcc (ROCm 5.7), hipBLAS, rocBLAS     (for rocm/dev-ubuntu-24.04-complete)
#
# Roots are cached under $MAMBASERVE_CACHE (default /var/cache/mambaserve): standins/<suite>, and the ROCm build root
# at $MAMBASERVE_ROCM_ROOT (default $MAMBASERVE_CACHE/rocm-trixie; an existing one is only read, never changed).
# Images already in podman's storage are kept; MAMBASERVE_STANDIN_REBUILD=1 rebuilds them.
# DEBIAN_MIRROR overrides the mirror (default http://deb.debian.org/debian).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${MAMBASERVE_CACHE:-/var/cache/mambaserve}
rocm_root=${MAMBASERVE_ROCM_ROOT:-$cache/rocm-trixie}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
prefix=${MAMBASERVE_STANDIN_PREFIX:-localhost/mambaserve-standin}
rebuild=${MAMBASERVE_STANDIN_REBUILD:-0}
rocm_packages="hipcc libhipblas-dev librocblas-dev libamdhip64-dev cmake g++ make"

log() { echo "make-standins: $*" >&2; }
need() { command -v "$1" > /dev/null || { log "$1 not found (apt-get install -y $2)"; exit 2; }; }
have_image() { [[ $rebuild != 1 ]] && podman image exists "$1"; }

# debootstrap a minbase root once (into a temporary folder, renamed when complete), then apt-get install extras in
# a chroot with /proc, /sys and /dev bound for the package scripts.
make_root() {
  local suite=$1 dir=$2; shift 2
  [[ -d $dir ]] && return 0
  need debootstrap debootstrap
  rm -rf "$dir.tmp" && mkdir -p "$(dirname "$dir")"
  log "debootstrap $suite into $dir"
  debootstrap --variant=minbase "$suite" "$dir.tmp" "$mirror" > "$dir.log" 2>&1 || { log "debootstrap failed, see $dir.log"; exit 1; }
  if (($# > 0)); then
    log "installing $* in the $suite root"
    mount --bind /proc "$dir.tmp/proc" && mount --bind /sys "$dir.tmp/sys" && mount --bind /dev "$dir.tmp/dev"
    cp /etc/resolv.conf "$dir.tmp/etc/resolv.conf"
    local status=0
    chroot "$dir.tmp" /bin/sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $*" \
      >> "$dir.log" 2>&1 || status=$?
    umount "$dir.tmp/dev" "$dir.tmp/sys" "$dir.tmp/proc"
    ((status == 0)) || { log "apt-get install in the $suite root failed, see $dir.log"; exit 1; }
  fi
  mv "$dir.tmp" "$dir"
}

import_root() {
  local dir=$1 image=$2
  have_image "$image" && return 0
  log "importing $dir as $image"
  tar -C "$dir" --numeric-owner -cf - . | podman import --quiet - "$image" > /dev/null
}

# A .NET base: the Debian image plus this machine's .NET installation (everything, or the runtimes only), put where
# Microsoft's images put it.
dotnet_image() {
  local image=$1 kind=$2 base=$3
  have_image "$image" && return 0
  local dotnet_root ctx="$cache/standins/ctx-$kind"
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  rm -rf "$ctx" && mkdir -p "$ctx"
  # Hard links when the cache shares a file system with the installation: nothing is copied, nothing is changed.
  cp -al "$dotnet_root" "$ctx/dotnet" 2> /dev/null || cp -a "$dotnet_root" "$ctx/dotnet"
  if [[ $kind == runtime ]]; then rm -rf "$ctx/dotnet"/{sdk,sdk-manifests,packs,templates,metadata}; fi
  cp "$here/../scripts/install-runtime-deps.sh" "$ctx/"
  # Certificate authorities this machine added to its trust store (a TLS-inspecting proxy in front of NuGet, say)
  # are trusted inside too, as they would be in a company's own base images.
  mkdir -p "$ctx/local-ca"
  find /usr/local/share/ca-certificates -maxdepth 1 -name '*.crt' -exec cp {} "$ctx/local-ca/" \; 2> /dev/null || true
  cat > "$ctx/Containerfile" << EOF
FROM $base
COPY install-runtime-deps.sh /tmp/install-runtime-deps.sh
RUN sh /tmp/install-runtime-deps.sh && rm /tmp/install-runtime-deps.sh
COPY local-ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates > /dev/null
COPY dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV DOTNET_ROOT=/usr/share/dotnet DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
EOF
  log "building $image from $dotnet_root"
  podman build --isolation=chroot --quiet -t "$image" "$ctx" > /dev/null
  rm -rf "$ctx"
}

standins_cpu() {
  make_root bookworm "$cache/standins/bookworm"
  import_root "$cache/standins/bookworm" "$prefix/debian:bookworm"
  dotnet_image "$prefix/dotnet-sdk:10.0" sdk "$prefix/debian:bookworm"
  dotnet_image "$prefix/dotnet-aspnet:10.0" runtime "$prefix/debian:bookworm"
}

standins_rocm() {
  standins_cpu
  make_root trixie "$cache/standins/trixie"
  import_root "$cache/standins/trixie" "$prefix/debian:trixie"
  # shellcheck disable=SC2086 # the package list is meant to split
  make_root trixie "$rocm_root" $rocm_packages
  import_root "$rocm_root" "$prefix/rocm-build:trixie"
}

(($# > 0)) || { echo "usage: $0 cpu|rocm|rocm-root..." >&2; exit 2; }
if [[ "$*" == rocm-root ]]; then
  # shellcheck disable=SC2086 # the package list is meant to split
  make_root trixie "$rocm_root" $rocm_packages
  echo "$rocm_root"
  exit 0
fi
need podman podman
need tar tar
for what in "$@"; do
  case $what in
    cpu) standins_cpu ;;
    rocm) standins_rocm ;;
    *) echo "unknown stand-in set: $what (cpu or rocm)" >&2; exit 2 ;;
  esac
done
echo "$prefix"
