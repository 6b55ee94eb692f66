#!/usr/bin/env bash
# Installs what `npm run bench` and `npm run test:reliability` need beyond `npm ci`:
#   - wrk (Debian package): the HTTP load generator of bench/run.ts (without it the benchmark falls
#     back to its node:http generator, whose figures are not comparable with wrk's);
#   - the Python AgentOS target (conformance/targets/agno/setup.sh: venv + pinned requirements),
#     for the side-by-side comparison; skipped with BENCH_SKIP_PYTHON=1 or when it cannot be set up;
#   - the benchmark's Python AgentOS venvs (bench/python/setup.sh: agno 2.9.0 and 3.1.10 with uvloop +
#     httptools), for the database workloads;
#   - PostgreSQL server binaries for the reliability tests (scripts/ci-postgres.sh installs them;
#     the tests run their own private instance, so the cluster it starts may be stopped again).
# Idempotent. Progress goes to stderr.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log() { printf 'ci-bench-deps: %s\n' "$*" >&2; }

if [ "$(id -u)" -eq 0 ]; then SUDO=(); elif command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else SUDO=(); fi

if command -v wrk >/dev/null 2>&1; then
  log "wrk already installed: $(command -v wrk)"
else
  command -v apt-get >/dev/null 2>&1 || { log "no wrk and no apt-get: install wrk by hand"; exit 1; }
  log "installing wrk"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update >&2
  "${SUDO[@]}" apt-get install -y wrk >&2
fi

if [ "${BENCH_SKIP_PYTHON:-}" = 1 ]; then
  log "BENCH_SKIP_PYTHON=1: not setting up the Python AgentOS"
elif [ -x "$root/conformance/targets/agno/.venv/bin/uvicorn" ]; then
  log "Python AgentOS venv already set up"
else
  log "setting up the Python AgentOS (conformance/targets/agno/setup.sh)"
  bash "$root/conformance/targets/agno/setup.sh" >&2 || log "Python AgentOS setup failed: the benchmark will record null for it"
fi

if [ "${BENCH_SKIP_PYTHON:-}" != 1 ]; then
  bash "$root/bench/python/setup.sh" || log "bench/python setup failed: the benchmark will record null for those variants"
fi

if [ -z "$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null)" ] && ! command -v initdb >/dev/null 2>&1; then
  log "installing PostgreSQL (scripts/ci-postgres.sh)"
  bash "$root/scripts/ci-postgres.sh" >/dev/null
else
  log "PostgreSQL binaries present"
fi
