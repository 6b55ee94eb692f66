#!/usr/bin/env bash
# Creates conformance/targets/agno/VERSION/.venv with the Python AgentOS of that version and its server
# dependencies (pinned in VERSION/requirements.txt). One venv per version.
# Usage: conformance/targets/agno/setup.sh [2.9.0|3.1.10]   (default 3.1.10; PYTHON=python3.12 to choose)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="${1:-3.1.10}"
dir="$here/$version"
if [ ! -f "$dir/requirements.txt" ]; then
  echo "setup.sh: no $dir/requirements.txt; versions: $(cd "$here" && ls -d */ | tr -d / | tr '\n' ' ')" >&2
  exit 3
fi
python="${PYTHON:-python3}"
if [ ! -x "$dir/.venv/bin/python" ]; then
  "$python" -m venv "$dir/.venv"
fi
"$dir/.venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$dir/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$dir/requirements.txt"
"$dir/.venv/bin/python" -c "import agno, fastapi, uvicorn, jwt; from importlib.metadata import version; print('agno', version('agno'), 'ready in', '$dir/.venv')"
