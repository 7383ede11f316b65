#!/bin/sh
# Installs what the .NET runtime and the image's health check need on a Debian or Ubuntu runtime stage, plus the
# packages named as arguments, then empties apt's lists. The ICU and OpenSSL packages carry the distribution's
# soname in their names (libicu72 on Debian 12, libicu74 on Ubuntu 24.04, libicu76 on Debian 13; libssl3 or
# libssl3t64), so they are looked up rather than spelled here: one script serves every base image.
#   install-runtime-deps.sh [package...]
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
newest() { apt-cache pkgnames "$1" | grep -E "^$1[0-9.]*(t64)?\$" | sort -V | tail -n 1; }
icu=$(newest libicu)
ssl=$(newest libssl)
[ -n "$icu" ] && [ -n "$ssl" ] || { echo "install-runtime-deps: no libicu or libssl package in this base" >&2; exit 1; }
apt-get install -y -qq --no-install-recommends ca-certificates curl tzdata "$icu" "$ssl" "$@"
apt-get clean
rm -rf /var/lib/apt/lists/*
