#!/usr/bin/env bash
# Compile-only check of the HIP build, no AMD GPU needed: builds libmambaserve_hip.so (and, when the googletest
# source is installed, the GPU test binary) for gfx90a with Debian 12's hipcc (apt-get install -y hipcc; ROCm
# 5.2 knows gfx90a but not gfx942), then checks that the library exports every msv_ name of mambaserve.h.
#   src/Native/scripts/check-hip-build.sh [build-dir]      (MSV_HIP_ARCHITECTURES overrides the target list)
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:-$root/artifacts/native/hip-check}
arch=${MSV_HIP_ARCHITECTURES:-gfx90a}
command -v hipcc > /dev/null || { echo "hipcc not found (apt-get install -y hipcc)" >&2; exit 2; }
# Files that name no --offload-arch make hipcc ask rocm_agent_enumerator for the local GPU; there is none here.
export HCC_AMDGPU_TARGET=$arch

gtest=${GTEST_SOURCE_DIR:-/usr/src/googletest}
if [[ -f $gtest/CMakeLists.txt ]]; then
  project=$root/tests/Native
  extra=(-DGTEST_SOURCE_DIR="$gtest" -DMSV_NATIVE_DIR="$root/src/Native")
  lib=$build/native/libmambaserve_hip.so
else
  echo "no googletest source at $gtest: building the library only"
  project=$root/src/Native
  extra=()
  lib=$build/libmambaserve_hip.so
fi
cmake -S "$project" -B "$build" -DMSV_BACKEND=hip -DCMAKE_CXX_COMPILER=hipcc -DMSV_HIP_ARCHITECTURES="$arch" \
  -DCMAKE_BUILD_TYPE=Release "${extra[@]}"
cmake --build "$build" -j "$(nproc)"

missing=0
for name in $(grep -o 'msv_[a-z0-9_]*(' "$root/src/Native/include/mambaserve.h" | tr -d '('); do
  if ! nm -D --defined-only "$lib" | grep -qw "$name"; then echo "missing export: $name" >&2; missing=1; fi
done
[[ $missing == 0 ]] || exit 1
echo "HIP build for $arch OK: $lib exports every msv_ function"
