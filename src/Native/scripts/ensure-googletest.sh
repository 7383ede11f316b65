#!/usr/bin/env bash
# Prints the googletest source folder that the device stagings carry (the device machine has no network to fetch it):
# GTEST_SRC if set, else Debian's /usr/src/googletest, installed from the `googletest` package when a fresh machine
# lacks it (as root, or through sudo). Used by src/Native/scripts/stage-device.sh and scripts/device/stage.sh.
set -euo pipefail
gtest=${GTEST_SRC:-/usr/src/googletest}
if [[ ! -f $gtest/CMakeLists.txt && -z "${GTEST_SRC:-}" ]]; then
  echo "googletest source missing at $gtest: installing Debian's googletest package" >&2
  sudo_=(); [[ $(id -u) -eq 0 ]] || sudo_=(sudo)
  "${sudo_[@]}" apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive "${sudo_[@]}" apt-get install -y -qq googletest >&2
fi
[[ -f $gtest/CMakeLists.txt ]] || { echo "no googletest source at $gtest (set GTEST_SRC)" >&2; exit 1; }
echo "$gtest"
