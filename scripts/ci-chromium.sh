#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the SDK browser test (sdk/test/browser.test.ts),
# idempotently: does nothing when /usr/bin/chromium already runs. Needs root (CI containers) or sudo.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ] && "$CHROMIUM" --version >/dev/null 2>&1; then
  echo "chromium: already installed ($("$CHROMIUM" --version))"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "chromium: not installed and not root (no sudo); install the 'chromium' package and re-run" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "chromium: installed ($("$CHROMIUM" --version))"
