#!/usr/bin/env bash
# Builds the CPU and ROCm images on local stand-ins for their official bases (standins/make-standins.sh) and checks
# them without a container daemon: `podman build --isolation=chroot`, then `podman image mount` and chroot to run what
# an image holds, from the image's own entrypoint, user and environment.
#   deploy/docker/test-images.sh [cpu] [rocm]          (default: both)
#
# CPU image: the server runs in a chroot of the mounted image (read-only root, as Kubernetes' readOnlyRootFilesystem;
#   /tmp writable), on loopback only, and must answer /health, a completion, a chat completion and /metrics; the
#   image's HEALTHCHECK command must pass; SIGTERM must end it with exit code 0; a failing command's exit code must
#   pass through the entrypoint.
# ROCm image: libmambaserve_hip.so loads and msv_backend_name() answers "hip" (test/msv-probe.c, compiled here),
#   every library it links resolves, and the image holds no compiler and (once the CPU backend is its own project,
#   src/Engine.Cpu) no libtorch. With the GPU runner in the tree, the server must refuse to start without a GPU.
#
# Environment: MAMBASERVE_CACHE and MAMBASERVE_ROCM_ROOT (where stand-in roots are cached; see make-standins.sh),
# GPU_TARGETS (ROCm targets, default the Dockerfile's), TEST_PORT (REST port, default 18290; gRPC the next one).
# Ends with "N passed, N failed"; exit 0 only when nothing failed.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$repo/deploy/docker
prefix=${MAMBASERVE_STANDIN_PREFIX:-localhost/mambaserve-standin}
cache=${MAMBASERVE_CACHE:-/var/cache/mambaserve}
rocm_root=${MAMBASERVE_ROCM_ROOT:-$cache/rocm-trixie}
port=${TEST_PORT:-18290}
work=$(mktemp -d)
passed=0 failed=0
mounts=() images_mounted=() server_pid=

pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if ("$@") > "$work/check.log" 2>&1; then pass "$what"; else fail "$what"; sed 's/^/     /' "$work/check.log" | tail -n 5; fi; }
note() { echo "NOTE $*"; }

cleanup() {
  [[ -n $server_pid ]] && kill -KILL "$server_pid" 2> /dev/null
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[i]}" 2> /dev/null; done
  for image in "${images_mounted[@]}"; do podman image unmount "$image" > /dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT

build() { # image dockerfile build-args...
  local image=$1 dockerfile=$2 start=$SECONDS; shift 2
  echo "building $image from $dockerfile"
  if podman build --isolation=chroot --format docker --ignorefile "$here/.dockerignore" -f "$here/$dockerfile" \
    -t "$image" "$@" "$repo" > "$work/build-$dockerfile.log" 2>&1; then
    pass "$dockerfile builds ($((SECONDS - start)) s)"
  else
    fail "$dockerfile builds ($((SECONDS - start)) s)"; tail -n 30 "$work/build-$dockerfile.log"; return 1
  fi
}

# Mounts an image's root read-only with /proc, /dev and a writable /tmp (the host folder $2) inside it and sets
# $root to it (not printed: the mounts must be recorded in this shell for the cleanup).
mount_root() {
  local image=$1 tmp=$2
  root=$(podman image mount "$image") || return 1
  images_mounted+=("$image")
  mount -t proc proc "$root/proc" && mounts+=("$root/proc")
  mount --bind /dev "$root/dev" && mounts+=("$root/dev")
  mount --bind "$tmp" "$root/tmp" && mounts+=("$root/tmp")
}

# podman ends the template's output with a newline of its own: blank lines are dropped, never passed as arguments.
inspect() { podman image inspect --format "$2" "$1" | sed '/^$/d'; }

# The image's environment, as the container runtime would set it (plus a PATH where the image has none).
image_env() {
  local env
  env=$(inspect "$1" '{{range .Config.Env}}{{println .}}{{end}}')
  grep -q '^PATH=' <<< "$env" || echo "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  echo "$env"
}

# Runs a command in the image as its USER, with its environment and working directory, by exec: call it in a
# subshell, ( in_image ... ), or in the background, where $! is then the command itself and gets signals directly.
#   in_image IMAGE ROOT [VAR=value...] -- command...
in_image() {
  local image=$1 root=$2 user uid workdir; shift 2
  local extra=()
  while [[ $1 != -- ]]; do extra+=("$1"); shift; done; shift
  user=$(inspect "$image" '{{.Config.User}}')
  uid=$(awk -F: -v u="${user:-root}" '$1 == u || $3 == u { print $3 ":" $4; exit }' "$root/etc/passwd")
  workdir=$(inspect "$image" '{{.Config.WorkingDir}}')
  mapfile -t env < <(image_env "$image")
  exec env -i "${env[@]}" HOME="/home/${user:-root}" "${extra[@]}" chroot --userspec="${uid:-0:0}" "$root" \
    env --chdir="${workdir:-/}" "$@"
}

wait_for_health() { # url seconds
  local i
  for ((i = 0; i < $2; i++)); do
    curl -fsS -o /dev/null "$1" 2> /dev/null && return 0
    [[ -n $server_pid ]] && ! kill -0 "$server_pid" 2> /dev/null && return 1
    sleep 1
  done
  return 1
}

config_has() { grep -q -- "$2" <<< "$(inspect "$1" "$3")"; }

check_image_config() { # image
  local image=$1
  check "$image: runs as a non-root user" bash -c "[[ -n \$(podman image inspect --format '{{.Config.User}}' $image) && \$(podman image inspect --format '{{.Config.User}}' $image) != root ]]"
  check "$image: exposes 8000 and 8001" bash -c "podman image inspect --format '{{json .Config.ExposedPorts}}' $image | grep -q 8000/tcp && podman image inspect --format '{{json .Config.ExposedPorts}}' $image | grep -q 8001/tcp"
  check "$image: HEALTHCHECK on /health" config_has "$image" '/health"' '{{range .HealthCheck.Test}}{{println .}}{{end}}'
  check "$image: exec-form entrypoint" config_has "$image" '\["dotnet","/app/MambaServe.Server.dll"\]' '{{json .Config.Entrypoint}}'
  check "$image: STOPSIGNAL SIGTERM" config_has "$image" SIGTERM '{{.Config.StopSignal}}'
  check "$image: HF_HOME on the /data/hf volume" bash -c "podman image inspect --format '{{json .Config.Env}}' $image | grep -q HF_HOME=/data/hf && podman image inspect --format '{{json .Config.Volumes}}' $image | grep -q /data/hf"
  check "$image: binds every interface" config_has "$image" 'MambaServe__Server__Host=0.0.0.0' '{{json .Config.Env}}'
  check "$image: OCI labels" config_has "$image" 'org.opencontainers.image.revision' '{{json .Config.Labels}}'
}

test_cpu() {
  local image=localhost/mambaserve:cpu-test root tmp=$work/cpu-tmp rest="http://127.0.0.1:$port"
  "$here/standins/make-standins.sh" cpu > /dev/null || { fail "CPU stand-ins"; return; }
  build "$image" Dockerfile.cpu --build-arg SDK_IMAGE="$prefix/dotnet-sdk:10.0" \
    --build-arg RUNTIME_IMAGE="$prefix/dotnet-aspnet:10.0" --build-arg REVISION="$(git -C "$repo" rev-parse HEAD 2> /dev/null)" || return
  check_image_config "$image"
  mkdir -p "$tmp" && chmod 1777 "$tmp"
  mount_root "$image" "$tmp" || { fail "mount $image"; return; }
  check "$image: no compiler in the runtime image" bash -c "! ls $root/usr/bin/{gcc,g++,cc,c++,clang,cmake} 2> /dev/null | grep -q ."
  check "$image: libgomp present" bash -c "ls $root/usr/lib/x86_64-linux-gnu/libgomp.so.1"

  local entrypoint
  mapfile -t entrypoint < <(inspect "$image" '{{range .Config.Entrypoint}}{{println .}}{{end}}')
  local loopback=(MambaServe__Server__Host=127.0.0.1 MambaServe__Server__Port="$port" MambaServe__Server__GrpcPort=$((port + 1)))
  in_image "$image" "$root" "${loopback[@]}" -- "${entrypoint[@]}" > "$work/server.log" 2>&1 &
  server_pid=$!
  local start=$SECONDS
  if wait_for_health "$rest/health" 180; then
    pass "$image: server from the entrypoint, no arguments: /health 200 after $((SECONDS - start)) s (embedded demo model)"
  else
    fail "$image: server did not become healthy"; tail -n 20 "$work/server.log"; return
  fi
  check "$image: /health/live" curl -fsS "$rest/health/live"
  # appsettings.json quiets ASP.NET Core's per-request Information logs: their absence shows it was read.
  check "$image: appsettings.json applied" bash -c "! grep -q 'Request starting' $work/server.log"
  check "$image: completion" bash -c "curl -fsS $rest/v1/completions -H 'Content-Type: application/json' -d '{\"prompt\":\"The jury said\",\"max_tokens\":8,\"temperature\":0}' | tee /dev/stderr | grep -q '\"finish_reason\"'"
  check "$image: chat completion" bash -c "curl -fsS $rest/v1/chat/completions -H 'Content-Type: application/json' -d '{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"max_tokens\":8}' | grep -q '\"assistant\"'"
  check "$image: /metrics" bash -c "curl -fsS $rest/metrics | grep -q '^mambaserve_scheduler_waiting'"
  local healthcheck
  healthcheck=$(inspect "$image" '{{range .HealthCheck.Test}}{{println .}}{{end}}' | sed -n 2p)
  check "$image: its HEALTHCHECK command passes" in_image "$image" "$root" "${loopback[@]}" -- /bin/sh -c "$healthcheck"
  kill -TERM "$server_pid"
  local status=0
  wait "$server_pid" || status=$?
  server_pid=
  if ((status == 0)); then pass "$image: SIGTERM: drained and exited 0"; else fail "$image: SIGTERM: exit $status"; tail -n 10 "$work/server.log"; fi

  # A start-up failure (here a model that does not exist) must end the container with a non-zero exit code.
  status=0
  (timeout 120 bash -c "$(declare -f in_image inspect image_env); in_image $image $root \
    MambaServe__Server__Host=127.0.0.1 MambaServe__Server__Port=$port MambaServe__Server__GrpcPort=$((port + 1)) \
    -- ${entrypoint[*]} --model /nonexistent/model") > "$work/fault.log" 2>&1 || status=$?
  if ((status != 0 && status != 124)); then
    pass "$image: a start-up failure exits $status through the entrypoint: $(grep -m1 -i -E 'error|fail' "$work/fault.log")"
  else
    fail "$image: the server with a missing model did not exit non-zero (status $status)"; tail -n 5 "$work/fault.log"
  fi
}

# Runtime package names of the HIP runtime and the BLAS libraries in the stand-in build root's package database.
rocm_runtime_packages() {
  dpkg-query --admindir="$rocm_root/var/lib/dpkg" -S '*/libamdhip64.so.*' '*/libhipblas.so.*' '*/librocblas.so.*' \
    | cut -d: -f1 | sort -u | tr '\n' ' '
}

test_rocm() {
  local image=localhost/mambaserve:rocm-test root tmp=$work/rocm-tmp packages targets=()
  "$here/standins/make-standins.sh" rocm > /dev/null || { fail "ROCm stand-ins"; return; }
  packages=$(rocm_runtime_packages)
  [[ -n ${GPU_TARGETS:-} ]] && targets=(--build-arg GPU_TARGETS="$GPU_TARGETS")
  echo "ROCm runtime packages of the stand-in: $packages"
  build "$image" Dockerfile.rocm --build-arg ROCM_BUILD_IMAGE="$prefix/rocm-build:trixie" \
    --build-arg SDK_IMAGE="$prefix/dotnet-sdk:10.0" --build-arg DOTNET_RUNTIME_IMAGE="$prefix/dotnet-aspnet:10.0" \
    --build-arg RUNTIME_IMAGE="$prefix/debian:trixie" --build-arg ROCM_RUNTIME_PACKAGES="$packages" "${targets[@]}" \
    --build-arg REVISION="$(git -C "$repo" rev-parse HEAD 2> /dev/null)" || return
  check_image_config "$image"
  mkdir -p "$tmp" && chmod 1777 "$tmp"
  cc -O1 -o "$tmp/msv-probe" "$here/test/msv-probe.c" -ldl || { fail "compile msv-probe"; return; }
  mount_root "$image" "$tmp" || { fail "mount $image"; return; }
  check "$image: libmambaserve_hip.so loads and reports hip" bash -c "chroot $root /tmp/msv-probe /app/libmambaserve_hip.so | tee /dev/stderr | grep -qx hip"
  check "$image: every library libmambaserve_hip.so links resolves" bash -c "chroot $root ldd /app/libmambaserve_hip.so | tee /dev/stderr | grep -c amdhip64 && ! chroot $root ldd /app/libmambaserve_hip.so | grep -q 'not found'"
  check "$image: built for $(cat "$root/app/mambaserve_hip.targets")" test -s "$root/app/mambaserve_hip.targets"
  check "$image: no compiler in the runtime image" bash -c "! ls $root/usr/bin/{hipcc,clang,clang++,gcc,g++,cc,c++,cmake} $root/opt/rocm/bin/hipcc $root/usr/lib/llvm-*/bin/clang 2> /dev/null | grep -q ."
  check "$image: the .NET runtime runs" bash -c "chroot $root dotnet --list-runtimes | grep -q Microsoft.AspNetCore.App"
  local torch
  torch=$(find "$root/app" -name 'libtorch*.so*' | head -n 1)
  if [[ -d $repo/src/Engine.Cpu ]]; then
    check "$image: no libtorch (published without the CPU backend)" test -z "$torch"
  else
    note "$image: libtorch is still in the image (${torch#"$root"}): src/Engine.Cpu is not split out in this tree yet, so -p:MambaServeCpuBackend=false cannot drop it"
  fi
  if [[ -f $root/app/MambaServe.Engine.Gpu.dll ]]; then
    local status=0 entrypoint i
    mapfile -t entrypoint < <(inspect "$image" '{{range .Config.Entrypoint}}{{println .}}{{end}}')
    in_image "$image" "$root" MambaServe__Server__Host=127.0.0.1 MambaServe__Server__Port="$port" \
      MambaServe__Server__GrpcPort=$((port + 1)) -- "${entrypoint[@]}" > "$work/nogpu.log" 2>&1 &
    server_pid=$!
    for ((i = 0; i < 120; i++)); do kill -0 "$server_pid" 2> /dev/null || break; sleep 1; done
    if kill -0 "$server_pid" 2> /dev/null; then
      fail "$image: without a GPU the server kept running"; tail -n 5 "$work/nogpu.log"
      kill -KILL "$server_pid"; wait "$server_pid"; server_pid=
    else
      wait "$server_pid" || status=$?
      server_pid=
      if ((status != 0)); then
        pass "$image: no /dev/kfd: the server exits $status: $(grep -m1 -i -E 'kfd|gpu|device' "$work/nogpu.log")"
      else
        fail "$image: without a GPU the server exited 0"
      fi
    fi
  else
    note "$image: the GPU runner (src/Engine.Gpu) is not in this tree yet: the no-GPU start-up check is not run"
  fi
}

command -v podman > /dev/null || { echo "podman not found (apt-get install -y podman)"; exit 2; }
[[ $(id -u) == 0 ]] || { echo "needs root (podman image mount, chroot)"; exit 2; }
targets=("$@")
((${#targets[@]} > 0)) || targets=(cpu rocm)
for target in "${targets[@]}"; do
  case $target in
    cpu) test_cpu ;;
    rocm) test_rocm ;;
    *) echo "unknown image: $target (cpu or rocm)"; exit 2 ;;
  esac
done
echo "$passed passed, $failed failed"
((failed == 0))
