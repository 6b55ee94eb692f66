#!/usr/bin/env bash
# Creates conformance/targets/agno/.venv with the Python AgentOS and its server dependencies.
# Usage: conformance/targets/agno/setup.sh   (PYTHON=python3.12 to choose the interpreter)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
if [ ! -x "$here/.venv/bin/python" ]; then
  "$python" -m venv "$here/.venv"
fi
"$here/.venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$here/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
"$here/.venv/bin/python" -c "import agno, fastapi, uvicorn, jwt; from importlib.metadata import version; print('agno', version('agno'), 'ready in', '$here/.venv')"
