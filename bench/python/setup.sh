#!/usr/bin/env bash
# Creates the Python AgentOS venvs of the benchmark: bench/python/.venv-<agno version> for each
# requirements-<version>.txt here (agno + the conformance target's pins + uvloop + httptools).
# Usage: bench/python/setup.sh [VERSION...]   (default: every requirements file; PYTHON=python3.12 to choose)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
versions=("$@")
if [ ${#versions[@]} -eq 0 ]; then
  for f in "$here"/requirements-*.txt; do v="${f##*/requirements-}"; versions+=("${v%.txt}"); done
fi
for v in "${versions[@]}"; do
  venv="$here/.venv-$v"
  if [ -x "$venv/bin/uvicorn" ] && "$venv/bin/python" -c "import agno, uvloop, httptools" 2>/dev/null; then
    echo "bench/python: agno $v already set up in $venv" >&2
    continue
  fi
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements-$v.txt"
  "$venv/bin/python" -c "from importlib.metadata import version; print('bench/python: agno', version('agno'), 'uvloop', version('uvloop'), 'httptools', version('httptools'), 'ready in $venv')" >&2
done
