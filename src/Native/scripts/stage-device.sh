#!/usr/bin/env bash
# Stage what a device run needs into one folder: src/Native, tests/Native, googletest source and the peer
# benchmark (bench/peers/peer_pytorch.py). The lent GPU machine runs a copy of the checkout the session started in,
# so stage into an ignored folder of that checkout and name it in `carry`:
#   src/Native/scripts/stage-device.sh [<that checkout>/.carry/gpu]      (default: .carry/gpu in this checkout)
# then, on the device: cd .carry/gpu && bash run-device.sh
# GTEST_SRC: googletest source tree (default: Debian's /usr/src/googletest). PEER: another peer script.
# NATIVE_CPU_TREE: a tree whose src/Native is copied first and overlaid by this one.
# TREES="main next/x ...": git refs of this checkout, each's src/Native and tests/Native also staged under
# trees/<ref with / as _> for tests/Native/ab-trees.sh (builds, tests and model-bench A/B of whole trees).
# The whole-stack device run (managed runner, server, bench) is scripts/device/stage.sh + run.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")/../../.." && pwd)
dest=${1:-$here/.carry/gpu}
gtest=$("$here/src/Native/scripts/ensure-googletest.sh")
peer=${PEER:-$here/bench/peers/peer_pytorch.py}
rm -rf "$dest" && mkdir -p "$dest/src" "$dest/tests"
if [[ -n "${NATIVE_CPU_TREE:-}" ]]; then cp -r "$NATIVE_CPU_TREE/src/Native" "$dest/src/"; fi
mkdir -p "$dest/src/Native" && cp -r "$here/src/Native/." "$dest/src/Native/"
cp -r "$here/tests/Native" "$dest/tests/"
cp -r "$gtest" "$dest/googletest"
if [[ -f "$peer" ]]; then cp "$peer" "$dest/"; else echo "no peer script at $peer (peer runs skipped)"; fi
cp "$here/tests/Native/run-device.sh" "$here/tests/Native/ab-trees.sh" "$dest/"
for ref in ${TREES:-}; do
  tree="$dest/trees/${ref//\//_}"
  mkdir -p "$tree" && git -C "$here" archive "$ref" src/Native tests/Native | tar -x -C "$tree"
  echo "tree $ref -> trees/${ref//\//_} ($(git -C "$here" rev-parse --short "$ref"))"
done
echo "staged into $dest"
