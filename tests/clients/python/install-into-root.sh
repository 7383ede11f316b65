#!/usr/bin/env bash
# Installs the Python openai package (Debian 13's python3-openai) into a Debian 13 root, where PythonClientTests runs
# its script under chroot: Debian 12 packages no openai for Python. CI passes the root it keeps for the ROCm build.
# Usage: tests/clients/python/install-into-root.sh ROOT
set -euo pipefail
root=${1:?usage: install-into-root.sh ROOT}
if chroot "$root" python3 -c "import openai" >/dev/null 2>&1; then
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
install=(apt-get install -y -qq --no-install-recommends python3-openai)
# The root's package lists may be older than the mirror's packages: refresh them once if the first try fails.
chroot "$root" "${install[@]}" >/dev/null 2>&1 || { chroot "$root" apt-get update -qq && chroot "$root" "${install[@]}" >/dev/null; }
chroot "$root" python3 -c "import openai; print('python3-openai', openai.__version__, 'in', '$root')"
