#!/usr/bin/env bash
# Creates one venv per verified agno client version, server/test/agno-client/.venv-<version>, from the
# pinned server/test/agno-client/requirements-<version>.txt (PyPI). Idempotent.
# Usage: scripts/setup-agno-client.sh [VERSION...]   (default: every requirements file; PYTHON=python3.12)
set -euo pipefail
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../server/test/agno-client" && pwd)"
python="${PYTHON:-python3}"
versions=("$@")
if [ ${#versions[@]} -eq 0 ]; then
  for f in "$dir"/requirements-*.txt; do
    v="${f##*/requirements-}"
    versions+=("${v%.txt}")
  done
fi
for v in "${versions[@]}"; do
  venv="$dir/.venv-$v"
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$dir/requirements-$v.txt"
  "$venv/bin/python" -c "from importlib.metadata import version; import agno.client; print('agno', version('agno'), 'client ready in $venv')"
done
