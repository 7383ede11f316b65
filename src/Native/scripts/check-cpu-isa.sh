#!/usr/bin/env bash
# Runs the CPU kernels' tests (tests/MambaServe.Engine.Cpu.Tests) once per instruction set the CPU library is cloned
# for: baseline x86-64-v2, AVX2 and AVX-512. The shipped library compiles its hot loops three times
# (`target_clones`) and picks one at load from the CPU it runs on, so a test run exercises only the clone of the
# machine it runs on (AVX-512 on ours); a user's AVX2 or older CPU runs code no test would otherwise reach.
# Here each build disables the clones (the attribute becomes `unused` through a macro) and is compiled for one
# instruction set, then copied over the test project's library for one run; the original is put back.
#   src/Native/scripts/check-cpu-isa.sh        (after `dotnet build` or `dotnet test` of the solution, Release)
# Prints one "Passed!/Failed!" summary line per instruction set (the format `dotnet test` prints) and exits non-zero
# when a run fails. AVX-512 runs only on a CPU that has it.
set -uo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
tests=$root/tests/MambaServe.Engine.Cpu.Tests
lib=$tests/bin/Release/net10.0/libmambaserve_cpu.so
[[ -f $lib ]] || { echo "check-cpu-isa: $lib is missing; build the solution in Release first" >&2; exit 2; }

isas=(base avx2)
grep -qw avx512f /proc/cpuinfo && isas+=(avx512)
saved=$(mktemp)
cp "$lib" "$saved"
trap 'cp "$saved" "$lib"; rm -f "$saved"' EXIT

status=0
for isa in "${isas[@]}"; do
  case $isa in
    base) flags="" ;;
    avx2) flags="-mavx2 -mfma" ;;
    avx512) flags="-mavx512f -mavx512vl -mavx512dq -mavx512bw -mavx2 -mfma" ;;
  esac
  build=$root/artifacts/native/cpu-isa-$isa
  if ! cmake -S "$root/src/Native" -B "$build" -DMSV_BACKEND=cpu -DCMAKE_BUILD_TYPE=Release \
         "-DCMAKE_CXX_FLAGS=-D'target_clones(...)=unused' $flags" >/dev/null ||
     ! cmake --build "$build" --target mambaserve_cpu --parallel >/dev/null; then
    echo "check-cpu-isa: the $isa build failed" >&2; status=1; continue
  fi
  cp "$build/libmambaserve_cpu.so" "$lib"
  echo "check-cpu-isa: $isa"
  dotnet test "$tests" -c Release --no-build 2>&1 | grep -E '^(Passed|Failed)!' || status=1
  [[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
done
exit $status
