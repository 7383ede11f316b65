#!/usr/bin/env bash
# Stage what a device run needs into one folder (default .carry/gpu in this checkout): src/Native (the CPU side from
# NATIVE_CPU_TREE overlaid by this tree's GPU files when the refs are not merged yet), tests/Native, googletest
# source and the peer benchmark. Used for the lent GPU machine, which runs a copy of another checkout.
set -euo pipefail
here=$(cd "$(dirname "$0")/../../.." && pwd)
dest=${1:-$here/.carry/gpu}
rm -rf "$dest" && mkdir -p "$dest/src" "$dest/tests"
if [[ -n "${NATIVE_CPU_TREE:-}" ]]; then cp -r "$NATIVE_CPU_TREE/src/Native" "$dest/src/"; fi
mkdir -p "$dest/src/Native" && cp -r "$here/src/Native/." "$dest/src/Native/"
cp -r "$here/tests/Native" "$dest/tests/"
cp -r /usr/src/googletest "$dest/googletest"
cp "$here/bench/peers/peer_pytorch.py" "$dest/"
cp "$here/tests/Native/run-device.sh" "$dest/" 2>/dev/null || true
echo "staged into $dest"
