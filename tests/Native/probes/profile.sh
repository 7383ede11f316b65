#!/usr/bin/env bash
# Where a probe kernel's warps stall, line by line: builds a probe with line info, profiles one launch of the named
# kernel with ncu's warp-state sampling (clocks left alone, as the device notes ask), and writes the per-instruction
# source page as CSV for tests/Native/probes/stalls.py. Not part of the test build; on the device machine:
#   bash tests/Native/probes/profile.sh stream_probe.cu stream_kernel       (PROBE_* settings pass through;
#   NVCC_FLAGS adds build knobs, e.g. -DPROBE_PRODUCER_WARPS=2)
# Writes $OUT/<probe>.sass.csv and <probe>.details.txt, and prints the kernel's stall summary from the latter.
set -euo pipefail
probe=${1:?probe source, e.g. stream_probe.cu}
kernel=${2:?kernel name}
here=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/probe-out}
mkdir -p "$OUT"
bin=/tmp/${probe%.cu}
rep=/tmp/${probe%.cu}-rep
nvcc -O3 -lineinfo -std=c++17 -gencode arch=compute_90a,code=sm_90a ${NVCC_FLAGS:-} "$here/$probe" -o "$bin" -lcuda
ncu --clock-control none -k "regex:^${kernel}$" -c 1 --import-source yes \
    --section WarpStateStats --section SourceCounters --section LaunchStats --section Occupancy \
    -f -o "$rep" "$bin" > "$OUT/${probe%.cu}.ncu.log" 2>&1 || { tail -20 "$OUT/${probe%.cu}.ncu.log"; exit 1; }
ncu -i "$rep.ncu-rep" --page source --csv --print-source sass > "$OUT/${probe%.cu}.sass.csv"
ncu -i "$rep.ncu-rep" --page details --print-details all > "$OUT/${probe%.cu}.details.txt"
grep -iE 'stall|warp cycles|issued|active|duration|registers' "$OUT/${probe%.cu}.details.txt" | head -60
