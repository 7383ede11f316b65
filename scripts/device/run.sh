#!/usr/bin/env bash
# The whole-stack run on the lent GPU machine, staged by scripts/device/stage.sh (docs/gpu-engine.md "Device runs"):
#   cd .carry/dev && bash run.sh              (device tool: carry [".carry/dev"])
# In one call, because device time is scarce: builds libmambaserve_cuda.so (sm_90) while the .NET runtime, the
# server and the tests are unpacked and a random-weight mamba-2.8b checkpoint is written; runs MambaServe.Gpu.Tests
# (conformance, fixtures, greedy ids, the real server over REST/SSE/chat/gRPC); then `bench gpu` and the PyTorch peer
# in the same call, so the report compares like with like. Everything lands in $OUT; a summary is printed last.
# A call is at most 10 minutes, so the phases can be split over calls on the warm machine: PHASES="tests" then
# PHASES="bench" (default both); the unpacked tree and the build in /tmp/msv-dev are reused while the staged archives
# are the same. The peer runs only with the bench. BENCH_ARGS adds options to `bench gpu`. PHASES="native tests bench"
# adds the native suite first (below); "structured" adds the structured-outputs bench on the GPU server; "conversation"
# the many-turn conversation bench (last); "ab" compares environment settings over rounds of `bench gpu`, "serving"
# over rounds of `bench serving` (below).
set -u
# ONLY_ON=<grep -E pattern>: run only on a GPU whose name matches it (ONLY_ON=H200 for figures owed on that card, when
# a call may get another): elsewhere say which GPU came and exit 3 before anything is unpacked or built, so that calls
# chained with && stop at the first.
if [[ -n "${ONLY_ON:-}" ]]; then
  gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
  if ! grep -qE -- "$ONLY_ON" <<< "$gpu"; then echo "not run: the GPU is '${gpu:-none}', not $ONLY_ON"; exit 3; fi
fi
cd "$(dirname "$0")"
checkout=$(cd ../.. && pwd)
OUT=${OUT:-/tmp/msv-out}
work=/tmp/msv-dev
mkdir -p "$OUT"
PHASES=${PHASES:-tests bench}
t0=$(date +%s)
# At most 8 files come back from $OUT: the phase times go to stdout, the checkpoint's line to build.log.
phases=""
stamp() { phases+="$1 at $(( $(date +%s) - t0 )) s"$'\n'; echo "$1 at $(( $(date +%s) - t0 )) s"; }
export DOTNET_ROOT=$work/dotnet PATH=$work/dotnet:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
server=$work/app/MambaServe.Server.dll
big=/tmp/msv-ckpt-2.8b
key=$(cat ./*.tar.xz | md5sum | cut -d' ' -f1)
if [[ "$(cat "$work/ready" 2>/dev/null)" != "$key" ]]; then
rm -rf "$work" && mkdir -p "$work/dotnet" "$work/app" "$work/tests"

{ nvidia-smi; nvcc --version; nproc; } > "$OUT/build.log" 2>&1
gen=(); command -v ninja > /dev/null && gen=(-G Ninja)
(
  tar -C "$work" -xJif native.tar.xz &&   # -i: past the first archive's end, into the googletest one
  cmake -S "$work/native/src/Native" -B "$work/build" "${gen[@]}" -DMSV_BACKEND=cuda -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CUDA_COMPILER="$(command -v nvcc)" -DMSV_CUDA_ARCHITECTURES=90 &&
  cmake --build "$work/build" -j "$(nproc)" --target mambaserve_cuda
) >> "$OUT/build.log" 2>&1 &
build_pid=$!

tar -C "$work/dotnet" -xJf dotnet-runtime.tar.xz
tar -C "$work" -xJf apps.tar.xz   # app/ and tests/
# The fixtures and the demo model from the checkout, where the test assembly looks for them (beside it).
ln -s "$checkout/tests/fixtures" "$work/tests/fixtures"
mkdir -p "$work/tests/models" && ln -s "$checkout/models/mamba-demo-5m" "$work/tests/models/mamba-demo-5m"
[[ -f $big/model.safetensors ]] ||
  dotnet "$server" bench make-checkpoint --shape 2.8b --out "$big" --tokenizer-from "$checkout/models/mamba-demo-5m" \
    >> "$OUT/build.log" 2>&1
stamp "unpacked, checkpoint written"

wait $build_pid; build_rc=$?
echo "build_rc=$build_rc" >> "$OUT/build.log"
stamp "native build done (rc $build_rc)"
[[ $build_rc == 0 ]] && echo "$key" > "$work/ready"
fi
lib=$(find "$work/build" -name 'libmambaserve_cuda.so' | head -1)
[[ -n $lib ]] || { echo "no libmambaserve_cuda.so:"; tail -30 "$OUT/build.log"; exit 1; }
export MAMBASERVE_NATIVE_DIR=$(dirname "$lib") MAMBASERVE_SERVER_DLL=$server MAMBASERVE_BIG_CHECKPOINT=$big

# PHASES="native ...": first the native suite of the same unpacked tree (tests/Native/run-device.sh: GoogleTest,
# memcheck and its A/B knobs such as AB=1 AB_ENVS=...), so that one machine start serves both. NATIVE_TEST_FILTER is
# its gtest filter (TEST_FILTER stays the .NET tests'); its logs go to /tmp/msv-native-out, its summary to stdout.
if [[ " $PHASES " == *" native "* ]]; then
  cp "$work/native/tests/Native/run-device.sh" "$work/native/"
  (cd "$work/native" && OUT=/tmp/msv-native-out TEST_FILTER="${NATIVE_TEST_FILTER:-}" SKIP_PEER=1 \
    timeout "${NATIVE_TIMEOUT:-300}" bash run-device.sh 2>&1 | grep -vE '"what":"(copy|floor)' | cut -c1-120 > /tmp/msv-native.log)
  # Its summary less the ptxas register table, which pushed the tests' lines out of a plain tail (the whole output
  # stays in /tmp/msv-native.log on the machine).
  sed -n '/^== build$/,$p' /tmp/msv-native.log | awk '/^== ptxas/ { skip = 1; next } /^== / { skip = 0 } !skip' | tail -80
  stamp "native suite done"
fi

if [[ " $PHASES " == *" tests "* ]]; then
  (cd "$work/tests" && timeout "${TESTS_TIMEOUT:-240}" dotnet MambaServe.Gpu.Tests.dll -noColor -reporter verbose \
    ${TEST_FILTER:+-method "$TEST_FILTER"} > "$OUT/tests.log" 2>&1)
  echo "tests_rc=$?" >> "$OUT/tests.log"
  stamp "device tests done"
fi

# `bench gpu` on the 2.8b-shape checkpoint, as the bench and ab phases run it (each adds its options and BENCH_ARGS).
bench_gpu=(timeout "${BENCH_TIMEOUT:-300}" dotnet "$server" bench gpu --device cuda --checkpoint "$big")
if [[ " $PHASES " == *" bench "* ]]; then
  # The peer first (its decode at the same batches, plus the bandwidth floor), then ours, which reads the peer's lines.
  {
    { timeout 90 python3 "$checkout/bench/peers/peer_pytorch.py" floor
      timeout 200 python3 "$checkout/bench/peers/peer_pytorch.py" decode --dims 2.8b --batches 1,8,64,256 --steps 20 \
        --prefill-len 1024 --prefill-batches 1,16; } > "$OUT/peer.jsonl" 2> "$OUT/peer.err"
    stamp "peer done"
  }
  # shellcheck disable=SC2086 # BENCH_ARGS is a list of options
  "${bench_gpu[@]}" --json "$OUT/bench-gpu.json" \
    --peers "$checkout/bench/peers/seed_experiment_peers_h200.jsonl" "$OUT/peer.jsonl" --seed-budget-s 60 ${BENCH_ARGS:-} > "$OUT/bench.log" 2>&1
  echo "bench_rc=$?" >> "$OUT/bench.log"
  stamp "bench done"
fi

# Runs "$@" once for each setting of $1 (settings split at ';', each a space-separated list of VAR=value, or '-' for
# none) in each of $2 rounds, interleaved so that the machine's drift falls on every setting alike, after a header
# line "== $3round R, setting I: ...". The command gets the round, the setting's index and its VAR=value words.
over_settings() {
  local -a settings env_list
  IFS=';' read -ra settings <<< "$1"
  local rounds=$2 label=$3 round i
  shift 3
  for round in $(seq 1 "$rounds"); do
    for i in "${!settings[@]}"; do
      env_list=()
      [[ ${settings[$i]} != - ]] && read -ra env_list <<< "${settings[$i]}"
      echo "== ${label}round $round, setting $i: ${settings[$i]}"
      "$@" "$round" "$i" "${env_list[@]}"
    done
  done
}

# PHASES="ab": `bench gpu` with BENCH_ARGS (no peer) under each setting of BENCH_AB_ENVS (named apart from the native
# suite's AB_ENVS) over BENCH_AB_ROUNDS rounds (default 3). Each run's decode, prefill and seed lines go to stdout, its
# exit status to $OUT/ab.log, its JSON to /tmp/msv-ab (at most 8 files come back).
ab_run() {
  # shellcheck disable=SC2086 # BENCH_ARGS is a list of options
  env "${@:3}" "${bench_gpu[@]}" --json "/tmp/msv-ab/r$1-s$2.json" ${BENCH_ARGS:-} > /tmp/msv-ab/bench.log 2>&1
  echo "ab_rc=$?" | tee -a "$OUT/ab.log"
  grep -E '^│ [0-9]+ +│' /tmp/msv-ab/bench.log | tr -s ' ' | cut -c1-100
}
if [[ " $PHASES " == *" ab "* ]]; then
  mkdir -p /tmp/msv-ab
  over_settings "${BENCH_AB_ENVS:--}" "${BENCH_AB_ROUNDS:-3}" "" ab_run
  stamp "A/B done"
fi

# PHASES="... serving": `bench serving` on the 2.8b-shape checkpoint (the engine under concurrent clients) with
# SERVING_ARGS, under each setting of SERVING_ENVS over SERVING_ROUNDS rounds (default 2). Each run's table rows go to
# stdout, its exit status to $OUT/serving.log.
serving_run() {
  # shellcheck disable=SC2086 # SERVING_ARGS is a list of options
  env "${@:3}" timeout "${BENCH_TIMEOUT:-300}" dotnet "$server" bench serving --device cuda --model "$big" \
    ${SERVING_ARGS:-} > /tmp/msv-serving.log 2>&1
  echo "serving_rc=$?" | tee -a "$OUT/serving.log"
  grep -E '^│ [0-9]+ +│|rror' /tmp/msv-serving.log | tr -s ' ' | cut -c1-120
}
if [[ " $PHASES " == *" serving "* ]]; then
  over_settings "${SERVING_ENVS:--}" "${SERVING_ROUNDS:-2}" "serving " serving_run
  stamp "serving bench done"
fi

# PHASES="... falcon": `bench gpu` on a random-weight FalconMamba checkpoint of tiiuae/falcon-mamba-7b's shape (14.5 GB
# of bf16, written once to /tmp/msv-ckpt-falcon-7b), with FALCON_BENCH_ARGS (default: bf16 state, decode at 1, 8, 64
# and 256 rows, prefill of 1 x 1024 tokens, the seed experiment at batch 1). Its table goes to stdout, its exit status to
# $OUT/falcon.log.
if [[ " $PHASES " == *" falcon "* ]]; then
  falcon=/tmp/msv-ckpt-falcon-7b
  [[ -f $falcon/model.safetensors ]] || dotnet "$server" bench make-checkpoint --shape falcon-mamba-7b --out "$falcon" >> "$OUT/build.log" 2>&1
  stamp "FalconMamba checkpoint written"
  # shellcheck disable=SC2086 # FALCON_BENCH_ARGS is a list of options
  timeout "${BENCH_TIMEOUT:-300}" dotnet "$server" bench gpu --device cuda --checkpoint "$falcon" \
    ${FALCON_BENCH_ARGS:---states bf16 --decode-batches 1 8 64 256 --prefill-batches 1 --seed-batches 1} > /tmp/msv-falcon.log 2>&1
  echo "falcon_rc=$?" >> "$OUT/falcon.log"
  grep -E '^│ [0-9]+ +│|rror' /tmp/msv-falcon.log | tr -s ' ' | cut -c1-120
  stamp "FalconMamba bench done"
fi

# PHASES="... structured": the server on the GPU with the random 2.8b-shape checkpoint (the demo's 8k tokenizer), and
# bench/structured_outputs.py against it at 8 and 64 samples a request: free text beside JSON mode, a JSON schema, a
# regex and a GBNF grammar, whose masks reach the device sampler as bitmasks (msv_sampling.ban_bits; docs/server.md
# "Structured outputs").
if [[ " $PHASES " == *" structured "* ]]; then
  # The server's log apart (its own file offset would write over the bench's lines); its tail joins the bench's at the end.
  dotnet "$server" --device cuda --model "$big" --port 8765 --grpc-port 8766 > /tmp/msv-structured-server.log 2>&1 &
  server_pid=$!
  for _ in $(seq 1 120); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8765/health')" 2> /dev/null && break; sleep 1; done
  { timeout 200 python3 "$checkout/bench/structured_outputs.py" --url http://127.0.0.1:8765 --n 8 \
      && timeout 200 python3 "$checkout/bench/structured_outputs.py" --url http://127.0.0.1:8765 --n 64; } > "$OUT/structured.log" 2>&1
  echo "structured_rc=$?" >> "$OUT/structured.log"
  kill "$server_pid"; wait "$server_pid" 2> /dev/null
  tail -20 /tmp/msv-structured-server.log >> "$OUT/structured.log"
  stamp "structured outputs bench done"
fi

# PHASES="... conversation": `bench conversation` on the GPU (docs/benchmarks.md): the demo model's many-turn
# conversation over HTTP, continued by previous_response_id, in a conversation, on a Responses WebSocket and resent
# whole, with CONVERSATION_ARGS (default 30 turns, no random 130m-shape run). The model is named from the checkout: the
# unpacked app has no embedded default beside it.
if [[ " $PHASES " == *" conversation "* ]]; then
  # shellcheck disable=SC2086 # CONVERSATION_ARGS is a list of options
  timeout "${BENCH_TIMEOUT:-300}" dotnet "$server" bench conversation --device cuda --model "$checkout/models/mamba-demo-5m" \
    ${CONVERSATION_ARGS:---turns 30 --skip-130m} > "$OUT/conversation.log" 2>&1
  echo "conversation_rc=$?" >> "$OUT/conversation.log"
  stamp "conversation bench done"
fi

echo "== phases"; printf '%s' "$phases"
echo "== build"; grep -E "error|build_rc" "$OUT/build.log" | head -10
echo "== tests"; grep -E "\[FAIL\]|\[SKIP\]|Total:|tests_rc" "$OUT/tests.log" 2>/dev/null | head -40
echo "== peer"; grep -E '"what"' "$OUT/peer.jsonl" 2>/dev/null | cut -c1-200; tail -3 "$OUT/peer.err" 2>/dev/null
echo "== bench"; tail -60 "$OUT/bench.log" 2>/dev/null | cut -c1-200
echo "== structured"; grep -E '"case"|structured_rc' "$OUT/structured.log" 2>/dev/null
echo "== conversation"; tail -40 "$OUT/conversation.log" 2>/dev/null | cut -c1-200
# The call's status: that of the phases that ran (the summary's last grep used to set it, 2 where no structured phase
# ran, so a clean run read as failed).
! grep -hE '^(build|tests|bench|structured|ab|falcon|conversation|serving)_rc=[1-9]' "$OUT"/*.log 2>/dev/null | grep -q .
