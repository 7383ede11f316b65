#!/usr/bin/env bash
# Compile-only check of the HIP build, no AMD GPU needed: builds libmambaserve_hip.so (with hipBLAS) and checks that
# it exports every msv_ function of mambaserve.h (exit 1 otherwise); then, when the googletest source is there,
# the GPU test binary too (a warning if that fails).
#   src/Native/scripts/check-hip-build.sh [build-dir]      (MSV_HIP_ARCHITECTURES overrides the target list;
#                                                           MSV_HIP_CHECK_TESTS=0 builds the library only)
# Two toolchains:
#  - MSV_ROCM_ROOT=<a Debian 13 root with hipcc 5.7, libhipblas-dev, librocblas-dev, cmake> (made by debootstrap,
#    then `apt-get install hipcc libhipblas-dev librocblas-dev libamdhip64-dev cmake` inside it): the sources and
#    googletest are copied into <root>/tmp/msv-hip-check and the check runs there under chroot (as root), for
#    gfx90a, gfx942 and gfx1100. This is the check of issue 9: real hipBLAS / rocBLAS, all three targets.
#  - otherwise the host's hipcc (Debian 12: apt-get install -y hipcc, ROCm 5.2, no hipBLAS and no gfx942): gfx90a.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
if [[ -n "${MSV_ROCM_ROOT:-}" ]]; then
  [[ -x "$MSV_ROCM_ROOT/usr/bin/hipcc" ]] || { echo "no hipcc in $MSV_ROCM_ROOT" >&2; exit 2; }
  stage=$MSV_ROCM_ROOT/tmp/msv-hip-check
  rm -rf "$stage" && mkdir -p "$stage"
  # Only the native trees: src/ and tests/ also hold the managed projects' build outputs.
  mkdir -p "$stage/src" "$stage/tests"
  cp -r "$root/src/Native" "$stage/src/" && cp -r "$root/tests/Native" "$stage/tests/"
  gtest=${GTEST_SOURCE_DIR:-/usr/src/googletest}
  [[ -f $gtest/CMakeLists.txt && ${MSV_HIP_CHECK_TESTS:-1} != 0 ]] && cp -r "$gtest" "$stage/googletest"
  exec chroot "$MSV_ROCM_ROOT" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root \
    MSV_HIP_ARCHITECTURES="${MSV_HIP_ARCHITECTURES:-gfx90a;gfx942;gfx1100}" \
    GTEST_SOURCE_DIR=/tmp/msv-hip-check/googletest \
    bash /tmp/msv-hip-check/src/Native/scripts/check-hip-build.sh /tmp/msv-hip-check/build
fi
build=${1:-$root/artifacts/native/hip-check}
arch=${MSV_HIP_ARCHITECTURES:-gfx90a}
command -v hipcc > /dev/null || { echo "hipcc not found (apt-get install -y hipcc)" >&2; exit 2; }
# Files that name no --offload-arch make hipcc ask rocm_agent_enumerator for the local GPU; there is none here.
export HCC_AMDGPU_TARGET=${arch//;/,}
# hipcc targets NVIDIA (through nvcc) when it finds a CUDA toolkit; this check is about the AMD build.
export HIP_PLATFORM=amd

gtest=${GTEST_SOURCE_DIR:-/usr/src/googletest}
if [[ -f $gtest/CMakeLists.txt && ${MSV_HIP_CHECK_TESTS:-1} != 0 ]]; then
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
cmake --build "$build" -j "$(nproc)" --target mambaserve_hip

missing=0
# The export table is read once: `nm | grep -q` under pipefail fails at random when grep exits early and nm gets
# SIGPIPE (a CI run reported five present exports as missing that way).
exports=$(nm -D --defined-only "$lib")
for name in $(grep -o 'msv_[a-z0-9_]*(' "$root/src/Native/include/mambaserve.h" | tr -d '('); do
  if ! grep -qw "$name" <<< "$exports"; then echo "missing export: $name" >&2; missing=1; fi
done
[[ $missing == 0 ]] || exit 1
echo "HIP build for $arch OK: $lib exports every msv_ function"

# The GPU test binary also needs mambaserve_ref, the CPU reference, compiled by hipcc's clang: reported, not fatal,
# since that code belongs to the CPU backend and is only ever built for real with the host compiler.
if [[ -n ${extra[*]} ]]; then
  if cmake --build "$build" -j "$(nproc)" --target mambaserve_gpu_tests; then
    echo "HIP test binary for $arch OK"
  else
    echo "WARNING: the GPU test binary did not build for HIP (see the errors above); the library did" >&2
  fi
fi
