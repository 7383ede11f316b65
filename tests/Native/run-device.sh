#!/usr/bin/env bash
# One call on the lent GPU machine: build (CMake, or plain nvcc if CMake fails), run the GoogleTest suite (kernels
# and the model against the reference), the model bench (and the kernel bench with KERNEL_BENCH=1) and the PyTorch
# peer baselines (floor, decode at batch 1, 8, 64, 256), then a compute-sanitizer pass over kernel and model tests. Run from the staged
# folder (src/Native/scripts/stage-device.sh); logs go to $OUT. Prints a short summary last.
set -u
cd "$(dirname "$0")"
OUT=${OUT:-/tmp/msv-out}
mkdir -p "$OUT"
# At most 8 files come back from $OUT: environment, build and ptxas reports share build.log.
{ nvidia-smi; nvcc --version; cmake --version; command -v ninja; nproc; } > "$OUT/build.log" 2>&1
build=/tmp/msv-build
bin=$build/mambaserve_gpu_tests
t0=$(date +%s)
gen=(); command -v ninja > /dev/null && gen=(-G Ninja)
# ARCHS: CUDA architectures of the main build (default sm_90 only, the device's: half the build time of 80;90).
cmake_build() {  # $1: source tree, $2: build dir, $3: extra CUDA flags, $4: architectures
  cmake -S "$1/tests/Native" -B "$2" "${gen[@]}" -DMSV_BACKEND=cuda -DCMAKE_BUILD_TYPE=Release \
    -DGTEST_SOURCE_DIR="$PWD/googletest" -DCMAKE_CUDA_COMPILER="$(command -v nvcc)" \
    -DCMAKE_CUDA_FLAGS="$3" -DMSV_CUDA_ARCHITECTURES="$4" && cmake --build "$2" -j "$(nproc)"
}
# Registers, shared memory and spills of the kernels, for the notes.
ptxas() {  # $1: extra flags, $2: object suffix
  for f in selective_scan/selective_scan_bf16 selective_state_update/selective_state_update_bf16; do
    echo "== ptxas $f $1"
    nvcc -std=c++17 -O3 -gencode arch=compute_90,code=sm_90 -Xptxas -v $1 -Isrc/Native/include -Isrc/Native -c \
      src/Native/$f.cu -o /tmp/$(basename $f)$2.o 2>&1 | grep -E "Function properties|registers|spill"
  done
}
# VARIANT_FLAGS: a second build (B) with other compile-time settings (e.g. -DMSV_SCAN_MIN_BLOCKS=3); VARIANT_DIR:
# B is another staged tree (e.g. the previous commit), built with VARIANT_FLAGS if set. VARIANT_C_FLAGS: a third
# build (C) of this tree. B and C are benched against A (this tree) on the target shapes, interleaved A B C A B C,
# and C's scan tests run too, so a variant that wins can become the default with its kernels checked. The
# variant builds run beside the main one. VARIANT_EXTRA_BENCH: more bench names for the variant rounds (e.g.
# scan_bf16_b1).
rm -f /tmp/build-b.log /tmp/build-c.log  # a warm machine keeps the last call's variant logs
vdir=${VARIANT_DIR:-$PWD}
# A warm machine may also keep a build folder configured from another source tree (the native phase of
# scripts/device/run.sh builds in $build from its own unpacked copy), which CMake refuses to reuse: start afresh.
fresh_build_dir() {  # $1: build folder, $2: the source tree it must have been configured from
  if [[ -f $1/CMakeCache.txt ]] && ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$2/tests/Native" "$1/CMakeCache.txt"; then
    rm -rf "$1"
  fi
}
fresh_build_dir $build "$PWD"; fresh_build_dir $build-b "$vdir"; fresh_build_dir $build-c "$PWD"
if [[ -n "${VARIANT_FLAGS:-}${VARIANT_DIR:-}" ]]; then
  { cmake_build "$vdir" $build-b "${VARIANT_FLAGS:-}" 90 && (cd "$vdir" && ptxas "${VARIANT_FLAGS:-}" _b); } \
    > /tmp/build-b.log 2>&1 &
fi
if [[ -n "${VARIANT_C_FLAGS:-}" ]]; then
  { cmake_build "$PWD" $build-c "$VARIANT_C_FLAGS" 90 && ptxas "$VARIANT_C_FLAGS" _c; } > /tmp/build-c.log 2>&1 &
fi
if ! cmake_build "$PWD" $build "" "${ARCHS:-90}" >> "$OUT/build.log" 2>&1; then
  echo "cmake build failed; plain nvcc build" >> "$OUT/build.log"
  obj=/tmp/msv-obj; mkdir -p $obj
  inc=(-Isrc/Native/include -Isrc/Native -Igoogletest/googletest/include -Igoogletest/googletest)
  srcs=$(ls src/Native/*/*_ref.cpp src/Native/*/*_api.cpp src/Native/common/error.cpp src/Native/gpu/*.cpp \
         src/Native/*/*_fp32.cu src/Native/*/*_fp16.cu src/Native/*/*_bf16.cu tests/Native/*.cpp \
         src/Native/model/model_validate*.cpp src/Native/model/model_tensors.cpp src/Native/model/model_gpu*.cpp \
         src/Native/model/model_gpu_misc.cu src/Native/model/model_gpu_sampler.cu src/Native/model/model_gpu_mma.cu \
         googletest/googletest/src/gtest-all.cc | sort -u)
  printf '%s\n' $srcs | xargs -P "$(nproc)" -I{} sh -c \
    'nvcc -std=c++17 -O3 -lineinfo -gencode arch=compute_90,code=sm_90 -Xcompiler -fopenmp,-fPIC -DMSV_NATIVE_SOURCE_DIR=\\\"$PWD/src/Native\\\" '"${inc[*]}"' -x $(case {} in *.cu) echo cu;; *) echo c++;; esac) -c {} -o '$obj'/$(echo {} | tr / _).o' \
    >> "$OUT/build.log" 2>&1
  mkdir -p $build && nvcc -o $bin $obj/*.o -Xcompiler -fopenmp -lpthread -lcublas -lcublasLt >> "$OUT/build.log" 2>&1
fi
ptxas "" "" >> "$OUT/build.log" 2>&1
cp /tmp/selective_scan_bf16.o /tmp/scan.o
wait
cat /tmp/build-b.log /tmp/build-c.log >> "$OUT/build.log" 2>/dev/null
echo "build_s=$(( $(date +%s) - t0 ))" >> "$OUT/build.log"

if [[ -x $bin ]]; then
  timeout 180 $bin ${TEST_FILTER:+--gtest_filter=$TEST_FILTER} > "$OUT/tests.log" 2>&1; echo "tests_rc=$?" >> "$OUT/tests.log"
  if [[ -x $build-c/mambaserve_gpu_tests ]]; then
    echo "== variant C ($VARIANT_C_FLAGS): scan tests" >> "$OUT/tests.log"
    timeout 60 $build-c/mambaserve_gpu_tests --gtest_filter='*Scan*' >> "$OUT/tests.log" 2>&1
    echo "tests_c_rc=$?" >> "$OUT/tests.log"
  fi
  # The kernel bench (KERNEL_BENCH=1) and the model bench (SKIP_MODEL_BENCH=1 to skip). AB=1 adds batch 1 and 8
  # with programmatic dependent launch off, and with the fused small-batch path taking up to 8 rows; AB_ENVS
  # replaces those settings (';' between variants, each a space-separated list of VAR=value, rounds interleaved
  # AB_ROUNDS times) and AB_FILTER the measurements (MSV_BENCH_FILTER syntax).
  if [[ -n "${KERNEL_BENCH:-}" ]]; then timeout 90 $bin --bench > "$OUT/bench.log" 2>&1; echo "bench_rc=$?" >> "$OUT/bench.log"; fi
  # AB_STATES: the A/B runs' state dtype, f32 (default), bf16, or both. SKIP_MODEL_BENCH skips only the full bench.
  # One process a state: a second model made in the same process steps 3-5% slower (docs/gpu-model.md, "Session
  # 2026-12-04, second"), which once read as a bf16 state's cost.
  if [[ -z "${SKIP_MODEL_BENCH:-}" ]]; then
    : > "$OUT/model.log"
    for st in f32 bf16; do
      MSV_BENCH_STATES=$st timeout 300 $bin --bench-model >> "$OUT/model.log" 2>&1; echo "model_bench_rc=$?" >> "$OUT/model.log"
    done
  fi
  # TEST_ENVS: the TEST_FILTER tests again under each setting (';' between them, each VAR=value ...), for kernels
  # whose variants are chosen at launch from the environment (e.g. MSV_SSU_BLOCK_ROWS=4).
  if [[ -n "${TEST_ENVS:-}" ]]; then
    IFS=';' read -r -a tenvs <<< "$TEST_ENVS"
    for v in "${tenvs[@]}"; do
      echo "== tests under $v" >> "$OUT/tests.log"
      env $v timeout 120 $bin ${TEST_FILTER:+--gtest_filter=$TEST_FILTER} 2>&1 | grep -E "^\[  (PASSED|FAILED) |FAILED  \]" \
        >> "$OUT/tests.log"
    done
  fi
  # KERNEL_AB_ENVS: the kernel bench's KERNEL_AB_FILTER measurements under each setting, AB_ROUNDS rounds interleaved.
  if [[ -n "${KERNEL_AB_ENVS:-}" ]]; then
    IFS=';' read -r -a kenvs <<< "$KERNEL_AB_ENVS"
    for round in $(seq "${AB_ROUNDS:-1}"); do
      for v in "${kenvs[@]}"; do
        echo "== kernel A/B: $v (round $round)" >> "$OUT/bench.log"
        env $v MSV_BENCH_FILTER="${KERNEL_AB_FILTER:-state_update}" timeout 60 $bin --bench 2>&1 | grep -E '"what"' \
          >> "$OUT/bench.log"
      done
    done
  fi
  if [[ -n "${AB:-}" ]]; then
    IFS=';' read -r -a variants <<< "${AB_ENVS:-MSV_PDL=0;MSV_FUSED_MAX_ROWS=8}"
    ab_states=("${AB_STATES:-f32}"); [[ "${AB_STATES:-}" == both ]] && ab_states=(f32 bf16)
    for round in $(seq "${AB_ROUNDS:-1}"); do
      for v in "${variants[@]}"; do
        echo "== A/B: $v (round $round)" >> "$OUT/model.log"
        for st in "${ab_states[@]}"; do
          env $v MSV_BENCH_STATES="$st" \
            MSV_BENCH_FILTER="${AB_FILTER:-greedy_statef32_b1|greedy_statef32_b8|prefill1024_statef32_b1}" \
            timeout 120 $bin --bench-model 2>&1 | grep -E '"what"' >> "$OUT/model.log"
        done
      done
    done
  fi
fi
if [[ -n "${VARIANT_FLAGS:-}${VARIANT_DIR:-}${VARIANT_C_FLAGS:-}" && -x $bin ]]; then
  for rep in 1 2; do
    for v in A B C; do
      b=$bin; [[ $v == B ]] && b=$build-b/mambaserve_gpu_tests; [[ $v == C ]] && b=$build-c/mambaserve_gpu_tests
      [[ -x $b ]] || continue
      for f in scan_bf16_b16 ${VARIANT_EXTRA_BENCH:-} state_update_bf16_statef32_b256; do
        MSV_BENCH_FILTER=$f timeout 60 $b --bench 2>&1 | grep -E "\"what\":\"(copy_d2d_2048|$f)" | sed "s/^/variant=$v /"
      done
    done
  done > "$OUT/variants.log"
  echo "variant B = ${VARIANT_DIR:-this tree} ${VARIANT_FLAGS:-}; variant C = this tree ${VARIANT_C_FLAGS:-}" \
    >> "$OUT/variants.log"
  cat "$OUT/variants.log" >> "$OUT/bench.log"; rm "$OUT/variants.log"
fi
if [[ -n "${PROFILE:-}" && -x $bin ]]; then
  cuobjdump --dump-sass /tmp/scan.o > "$OUT/scan.sass" 2>&1
  sections=(--section SpeedOfLight --section WarpStateStats --section SchedulerStats --section Occupancy
            --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis --section LaunchStats)
  MSV_BENCH_FILTER=scan_bf16_b16 timeout 150 ncu --clock-control none -k regex:selective_scan_kernel -c 1 \
    "${sections[@]}" $bin --bench > "$OUT/ncu.txt" 2>&1
  MSV_BENCH_FILTER=state_update_bf16_statef32_b256 timeout 100 ncu --clock-control none -k regex:state_update -c 1 \
    "${sections[@]}" $bin --bench >> "$OUT/ncu.txt" 2>&1
  # Where the scan's warps stall, per SASS instruction (sampled), and the stall reasons over the whole kernel.
  MSV_BENCH_FILTER=scan_bf16_b16 timeout 150 ncu --clock-control none -k regex:selective_scan_kernel -c 1 \
    --section WarpStateStats --section SourceCounters --import-source yes -f -o /tmp/scan-src $bin --bench \
    > /dev/null 2>&1
  { ncu -i /tmp/scan-src.ncu-rep --page details --print-details all --section WarpStateStats
    ncu -i /tmp/scan-src.ncu-rep --page source --csv --print-source sass; } > "$OUT/scan-source.txt" 2>&1
fi
# PROFILE_MODEL="measurement|measurement..." (names of bench_model.cpp, one state dtype): ncu times every kernel of
# one step of each (an NVTX range in the bench), printed per step as kernel name, launches, total and mean us.
# PROFILE_ENV: extra environment for that run (e.g. MSV_FUSED_MAX_ROWS=4); PROFILE_ENVS: several, separated by
# ';', one profile each. PROFILE_NCU: extra ncu flags (e.g. '--cache-control none': L2 kept warm between kernels,
# as in a replayed graph, instead of flushed before each).
if [[ -n "${PROFILE_MODEL:-}" && -x $bin ]]; then
  states=f32; [[ "$PROFILE_MODEL" == *statebf16* ]] && states=bf16
  IFS=';' read -r -a profile_envs <<< "${PROFILE_ENVS:-${PROFILE_ENV:-}}"
  [[ ${#profile_envs[@]} -eq 0 ]] && profile_envs=("")
  for penv in "${profile_envs[@]}"; do
    env $penv MSV_BENCH_NVTX=1 MSV_BENCH_FILTER="$PROFILE_MODEL" MSV_BENCH_STATES=$states timeout 240 \
      ncu --clock-control none ${PROFILE_NCU:-} --nvtx --nvtx-include "profile/" --metrics gpu__time_duration.sum --csv \
      --print-units base $bin --bench-model > /tmp/profile.csv 2> /tmp/profile.err
    echo "== profile $penv ${PROFILE_NCU:-} $PROFILE_MODEL (rc $?)" >> "$OUT/profile.log"
    python3 - /tmp/profile.csv >> "$OUT/profile.log" 2>&1 <<'PY'
import csv, re, sys
rows = [r for r in csv.reader(open(sys.argv[1])) if len(r) > 10]
head, data = rows[0], rows[1:]
k, v = head.index("Kernel Name"), head.index("Metric Value")
steps = []
for r in data:
    name = r[k]
    short = re.sub(r"\(.*", "", name)
    short = re.sub(r"msv::gpu::(model::)?", "", short)[:90]
    if "embed_kernel" in short or not steps: steps.append([])
    steps[-1].append((short, float(r[v].replace(",", "")) / 1e3))
for i, st in enumerate(steps):
    agg = {}
    for n, us in st: a = agg.setdefault(n, [0, 0.0]); a[0] += 1; a[1] += us
    print(f"-- step {i}: {len(st)} kernels, {sum(u for _, u in st):.1f} us of kernel time")
    for n, (c, t) in sorted(agg.items(), key=lambda x: -x[1][1])[:14]:
        print(f"{t:10.1f} us {c:5d} x {t / c:8.2f} us  {n}")
PY
    tail -3 /tmp/profile.err >> "$OUT/profile.log"
  done
fi
if [[ -f peer_pytorch.py && -z "${SKIP_PEER:-}" ]]; then
  timeout 100 python3 peer_pytorch.py floor > "$OUT/peer.log" 2>&1
  [[ -z "${SKIP_DECODE:-}" ]] && \
    timeout 200 python3 peer_pytorch.py decode --dims 2.8b --batches 1,8,64,256 --steps 20 >> "$OUT/peer.log" 2>&1
fi
if [[ -x $bin && -z "${SKIP_SANITIZER:-}" ]]; then
  timeout 240 compute-sanitizer --tool memcheck $bin --gtest_filter="${SANITIZER_FILTER:-*b33*L7*:*b33*n16_L1000*:*b33*L1000_w4*:*State*b33*:*r33_d777*:*Chunks*:*ModelGpu.*small_wf32_sf32:*ModelGpu.*odd_wbf16_sbf16:*ModelGpu.*wide_wbf16_sf32:*ModelGpuMma.*:*ModelGpuExact.Graphs*:*ModelGpuSampler.Draws*}" \
    > "$OUT/sanitizer.log" 2>&1
  echo "sanitizer_rc=$?" >> "$OUT/sanitizer.log"
fi
echo "== build"; grep -E "build_s|error|FAILED|cmake build failed" "$OUT/build.log" | head -12
echo "== tests"; grep -E "^\[  (PASSED|FAILED) |tests_rc|tests_c_rc|FAILED  \]|^== variant|^== tests under|^sampler" "$OUT/tests.log" | head -40
echo "== ptxas"; grep -E -A2 "^== ptxas|selective_scan_kernelINS0_4bf16ELb1ELb1E" "$OUT/build.log" | grep -E "^== ptxas|registers|spill" | grep -v "^--" | head -40
echo "== bench"; sed -n '/^kernel/,$p' "$OUT/bench.log" 2>/dev/null | cut -c1-160
grep -E '^== kernel A/B|"what"' "$OUT/bench.log" 2>/dev/null | sed -n '/^== kernel A\/B/,$p' | cut -c1-130
echo "== model"; grep -E '"what":"(floor|copy)|^model|model_bench_rc' "$OUT/model.log" 2>/dev/null | cut -c1-160
sed -n '/^== A\/B/,$p' "$OUT/model.log" 2>/dev/null | grep -E '^== A/B|"what"' | cut -c1-110
echo "== profile"; grep -E "^-- step|^ +[0-9.]+ us" "$OUT/profile.log" 2>/dev/null | head -90 | cut -c1-150
echo "== peer"; grep -E '"what"' "$OUT/peer.log" 2>/dev/null | tail -8 | cut -c1-200
echo "== sanitizer"; tail -4 "$OUT/sanitizer.log" 2>/dev/null
