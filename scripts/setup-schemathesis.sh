#!/usr/bin/env bash
# Creates server/test/schemathesis/.venv with the pinned schemathesis (server/test/schemathesis/requirements.txt).
# Usage: scripts/setup-schemathesis.sh   (PYTHON=python3.12 to choose the interpreter)
set -euo pipefail
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../server/test/schemathesis" && pwd)"
python="${PYTHON:-python3}"
[ -x "$dir/.venv/bin/python" ] || "$python" -m venv "$dir/.venv"
"$dir/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$dir/requirements.txt"
"$dir/.venv/bin/schemathesis" --version
