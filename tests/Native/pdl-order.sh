#!/usr/bin/env bash
# Which loads the machine code issues before each kernel's programmatic-dependent-launch wait (griddepcontrol.wait,
# ACQBULK in sm_90 SASS). The sources load weights and other inputs no predecessor writes before the wait, so that
# they are in flight while the predecessor finishes; ptxas may still schedule the wait first (seen with CUDA 11.8
# for the tensor-core GEMM's weight loads). Prints, per kernel, the global loads before and after the wait, or that
# no wait instruction was found.
#   tests/Native/pdl-order.sh <binary or object> [kernel name filter, a grep -E pattern]
set -euo pipefail
bin=${1:?binary or object with sm_90 code}
filter=${2:-.}
cuobjdump -sass "$bin" | awk -v filter="$filter" '
  function flush() {
    if (name == "" || name !~ filter) return
    if (wait_at >= 0) printf "%-100s loads before the wait %3d, after %3d\n", substr(name, 1, 100), before, after
    else printf "%-100s no ACQBULK (%d loads)\n", substr(name, 1, 100), before
  }
  /Function : / { flush(); name = $3; wait_at = -1; before = 0; after = 0; next }
  /ACQBULK/ { if (wait_at < 0) wait_at = NR; next }
  /LDG/ { if (wait_at < 0) before++; else after++ }
  END { flush() }'
