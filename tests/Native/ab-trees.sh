#!/usr/bin/env bash
# A/B of whole trees on the lent GPU machine: each tree staged under trees/ (src/Native/scripts/stage-device.sh with
# TREES="main next/x ...") is built (CUDA, sm_90, in parallel), its GoogleTest filter run, memcheck run on a smaller
# filter, then the model bench over AB_ROUNDS interleaved rounds, one process per tree, state and environment variant
# (a second model made in one process steps 3-5% slower: docs/gpu-model.md, "Session 2026-12-04, second"). Run from
# the staged folder:
#   cd .carry/gpu && AB_FILTER='topp_statebf16_b1$|topp_statebf16_b128$' bash ab-trees.sh
# TEST_FILTER (default ModelGpu*), TEST_REPEAT (runs of that filter, default 1: a flaky test shows as a count of
# FAILED lines), SANITIZER_FILTER (default none), AB_STATES (default "f32 bf16"), AB_ROUNDS
# (default 3), AB_ENV (extra environment for every bench run), AB_ENVS (variants, ';'-separated, each run for every
# tree, e.g. 'MSV_X=0;MSV_X=1'; an empty variant is the plain run; default: one plain variant), AB_TREES (only these
# staged tree names bench with the variants; others run plain; default: every tree), BUILD_JOBS (default 6 a tree).
set -u
cd "$(dirname "$0")"
t0=$(date +%s)
trees=(trees/*/)
[[ -d ${trees[0]} ]] || { echo "no trees/ (stage with TREES=\"ref ...\")"; exit 1; }
names=()
for t in "${trees[@]}"; do names+=("$(basename "$t")"); done
# AB_FILTER is MSV_BENCH_FILTER's syntax (bench_model.cpp): substrings separated by '|', each optionally ending in '$'.
# A regular expression's groups or classes match no name, and the rounds would measure nothing after the builds.
if [[ "${AB_FILTER:-}" =~ [][()*+?^{}] ]]; then
  echo "AB_FILTER '$AB_FILTER': names separated by '|' (a '\$' may end one), not a regular expression"; exit 1
fi

build() { # tree, name
  local b=/tmp/ab-$2
  cmake -S "$1/tests/Native" -B "$b" -G Ninja -DMSV_BACKEND=cuda -DCMAKE_BUILD_TYPE=Release \
    -DGTEST_SOURCE_DIR="$PWD/googletest" -DCMAKE_CUDA_COMPILER="$(command -v nvcc)" -DMSV_CUDA_ARCHITECTURES=90 \
    > "$b.log" 2>&1 && cmake --build "$b" -j "${BUILD_JOBS:-6}" >> "$b.log" 2>&1
  echo "build $2 rc=$? ($(( $(date +%s) - t0 )) s)"
}
for i in "${!trees[@]}"; do build "${trees[$i]%/}" "${names[$i]}" & done
wait

for n in "${names[@]}"; do
  bin=/tmp/ab-$n/mambaserve_gpu_tests
  [[ -x $bin ]] || { echo "== $n: no binary"; grep -E "error" "/tmp/ab-$n.log" | head -5; continue; }
  echo "== $n tests: $(timeout $((300 * ${TEST_REPEAT:-1})) "$bin" --gtest_filter="${TEST_FILTER:-ModelGpu*}" \
    --gtest_repeat="${TEST_REPEAT:-1}" 2>&1 | grep -E "^\[  (PASSED|FAILED) |FAILED  \]" | sed -E 's/ \([0-9]+ ms\)$//' |
    sort | uniq -c | tr -s ' ' | tr '\n' ' ')"
  if [[ -n "${SANITIZER_FILTER:-}" ]]; then
    echo "== $n memcheck: $(timeout 300 compute-sanitizer --tool memcheck "$bin" --gtest_filter="$SANITIZER_FILTER" 2>&1 |
      grep -E "ERROR SUMMARY" | head -1)"
  fi
done
echo "tests done at $(( $(date +%s) - t0 )) s"

IFS=';' read -r -a variants <<< "${AB_ENVS:-}"
[[ ${#variants[@]} -gt 0 ]] || variants=("")
for round in $(seq "${AB_ROUNDS:-3}"); do
  for st in ${AB_STATES:-f32 bf16}; do
    for n in "${names[@]}"; do
      bin=/tmp/ab-$n/mambaserve_gpu_tests
      [[ -x $bin ]] || continue
      mine=("${variants[@]}")
      [[ -z "${AB_TREES:-}" || " $AB_TREES " == *" $n "* ]] || mine=("")
      for v in "${mine[@]}"; do
        line=$(env ${AB_ENV:-} $v MSV_BENCH_STATES="$st" MSV_BENCH_FILTER="${AB_FILTER:-_b1\$}" timeout 120 "$bin" --bench-model 2>&1 |
          grep -E '"what":"model' | sed -E 's/.*"what":"model_(decode_)?([^"]*)","ms":([0-9.]+).*/\2 \3/' | tr '\n' ' ')
        echo "[$round $st $n${v:+ $v}] $line"
      done
    done
  done
done
echo "total $(( $(date +%s) - t0 )) s"
