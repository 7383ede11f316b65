#!/usr/bin/env bash
# Stages the whole-stack GPU run into one folder for the lent GPU machine (docs/gpu-engine.md "Device runs"):
#   scripts/device/stage.sh [<checkout the device copies>/.carry/dev]     (default: .carry/dev of this checkout)
# then on the device, with carry [".carry/dev"]:  cd .carry/dev && bash run.sh
# What it holds (all compressed; the working tree plus this folder must stay under 64 MiB, so it prints its size):
#   dotnet-runtime.tar.xz  the .NET runtime of this machine (host + shared frameworks; made once, cached in .carry/cache)
#   apps.tar.xz            app/: the server, published framework-dependent without the CPU backend (no libtorch) and
#                          without the chart's native libraries (bench's PNG is drawn here from its JSON);
#                          tests/: MambaServe.Gpu.Tests (xunit v3 executable)
#   native.tar.xz          src/Native, tests/Native and googletest source (GTEST_SRC, default /usr/src/googletest)
#   run.sh                 what runs there
# The demo model, tests/fixtures and bench/peers are not staged: run.sh takes them from the checkout the device copies.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
dest=${1:-$here/.carry/dev}
gtest=$("$here/src/Native/scripts/ensure-googletest.sh")
cache=$here/.carry/cache
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest" "$cache"
rm -f "$dest"/*.tar.xz "$dest"/run.sh

# Without the debugger's and dump tool's libraries (libmscordaccore, libmscordbi, createdump: ~1.2 MB packed, which
# the 64 MiB that may travel came to miss by about that much) and LTTng's trace provider (libcoreclrtraceptprovider:
# the runtime loads it only if present, for LTTng event tracing, which nothing on the device uses), packed with xz's
# extreme preset: the checkout's tracked files grew past what was left.
runtime=$cache/dotnet-runtime-$(dotnet --list-runtimes | awk '/Microsoft.NETCore.App/ {v=$2} END {print v}')-nodiag-nolttng.tar.xz
if [[ ! -f $runtime ]]; then
  echo "stage: packing the .NET runtime (once) into $runtime"
  tar -C "$(dirname "$(readlink -f "$(command -v dotnet)")")" --exclude=libmscordaccore.so --exclude=libmscordbi.so \
    --exclude=createdump --exclude=libcoreclrtraceptprovider.so -cf - dotnet host shared | xz -T2 -9e > "$runtime.part"
  mv "$runtime.part" "$runtime"
fi
cp "$runtime" "$dest/dotnet-runtime.tar.xz"

# Framework-dependent for linux-x64 (only that RID's native assets, e.g. SkiaSharp's); the demo model and the
# fixtures come from the checkout and the fixtures archive instead of twice more inside the apps.
dotnet publish "$here/src/Server" -c Release -r linux-x64 --self-contained false -p:MambaServeCpuBackend=false \
  -o "$work/app" -nologo -v quiet
dotnet publish "$here/tests/MambaServe.Gpu.Tests" -c Release -r linux-x64 --self-contained false -o "$work/tests" -nologo -v quiet
rm -rf "$work/app/models" "$work/tests/models" "$work/tests/fixtures" "$work"/*/*.pdb
# The test platform's code-coverage collector (its native engines for every OS) and satellite resources: unused by the
# xunit v3 executable, and a third of the size limit. So are VSTest's own assemblies (the adapter, the test platform,
# code coverage, Cecil, Newtonsoft.Json, Application Insights: ~1.5 MB packed), which Microsoft.NET.Test.Sdk brings for
# `dotnet test` and the executable never loads (it ran the same without them here: same tests, same results).
rm -rf "$work/tests/CodeCoverage" "$work"/tests/{x86,x64,arm64,alpine,ubuntu,macos} \
  "$work"/*/{cs,de,es,fr,it,ja,ko,pl,pt-BR,ru,tr,zh-Hans,zh-Hant} \
  "$work"/tests/{Microsoft.CodeCoverage,Microsoft.VisualStudio.,Microsoft.TestPlatform.,Mono.Cecil}* \
  "$work"/tests/{Microsoft.ApplicationInsights,Microsoft.DiaSymReader,Newtonsoft.Json,xunit.runner.visualstudio.testadapter}.dll
# SkiaSharp's and HarfBuzz's native libraries (~3.7 MB packed) draw only bench's PNG; run.sh writes the JSON and the
# chart is drawn back here from it (`bench plot --report`), so the carry keeps room for the checkout to grow.
rm -f "$work/app/libSkiaSharp.so" "$work/app/libHarfBuzzSharp.so"
# grep reads a listing taken first: `ls | grep -q` under pipefail can fail on SIGPIPE when grep stops at a match.
listing=$(ls "$work/app")
if grep -qiE 'libtorch|TorchSharp|mambaserve_cpu' <<< "$listing"; then echo "stage: the server publish holds the CPU backend" >&2; exit 1; fi
# One single-threaded stream for both: xz then packs the libraries they share once (~0.6 MB less).
tar -C "$work" -cf - app tests | xz -T1 -9 > "$dest/apps.tar.xz"
tar -C "$here" -cf - src/Native tests/Native --transform "s,^,native/," | xz -T2 -9 > "$work/n.tar.xz"
tar -C "$(dirname "$gtest")" -cf - "$(basename "$gtest")" --transform "s,^$(basename "$gtest"),native/googletest," | xz -T2 -9 > "$work/g.tar.xz"
cat "$work/n.tar.xz" "$work/g.tar.xz" > "$dest/native.tar.xz"   # two xz streams of two archives: tar -xJi reads both
cp "$here/scripts/device/run.sh" "$dest/run.sh"

# Measured as a tar of both, as the device tool counts them (each file's header and padding: ~0.7 MiB here, which
# a sum of file sizes missed: 63.4 MiB by sizes was refused as more than 64).
tracked=$(cd "$here" && git ls-files -z | tar --null -T - -cf - 2>/dev/null | wc -c)
staged=$(tar -C "$dest" -cf - . | wc -c)
echo "stage: $dest holds $((staged / 1024)) KiB ($(ls "$dest" | tr '\n' ' '))"
total=$(((tracked + staged) * 100 / 1048576))
echo "stage: with this checkout's tracked files ($((tracked / 1024)) KiB as a tar): $((total / 100)).$((total % 100)) MiB of the 64 MiB that may travel"
if ((tracked + staged > 64 * 1048576)); then echo "stage: over 64 MiB: the device tool will refuse this carry" >&2; exit 1; fi
