#!/usr/bin/env bash
# The step of action.yml: runs agentos-conformance from this repository against INPUT_BASE_URL and
# writes junit.xml, report.html and report.json into INPUT_REPORT_DIR. Also run by CI
# (scripts/ci-containers.sh) against the reference server. Inputs come as INPUT_* variables; the
# exit code is the suite's (0 pass, 1 MUST failures, 2 SHOULD only, 3 harness error).
set -euo pipefail
root="${ACTION_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}"
: "${INPUT_BASE_URL:?base-url is required}"
report_dir="${INPUT_REPORT_DIR:-conformance-report}"
mkdir -p "$report_dir"
report_dir="$(cd "$report_dir" && pwd)"

if [ ! -d "$root/node_modules" ]; then
  echo "::group::npm install (the action's own dependencies)"
  (cd "$root" && npm install --no-audit --no-fund --ignore-scripts --omit=dev \
    --workspace @agentos/conformance --workspace @agentos/spec)
  echo "::endgroup::"
fi

key_file="${INPUT_SIGNING_KEY_FILE:-}"
if [ -z "$key_file" ]; then
  : "${INPUT_SIGNING_KEY:?signing-key or signing-key-file is required}"
  key_file="$(mktemp)"
  trap 'rm -f "$key_file"' EXIT
  printf '%s\n' "$INPUT_SIGNING_KEY" >"$key_file"
fi

args=(--base-url "$INPUT_BASE_URL" --signing-key "$key_file" --alg "${INPUT_ALG:-RS256}"
  --profile "${INPUT_PROFILE:-agentos}"
  --report "junit:$report_dir/junit.xml" --report "html:$report_dir/report.html" --report "json:$report_dir/report.json")
[ -n "${INPUT_AUDIENCE:-}" ] && args+=(--audience "$INPUT_AUDIENCE")
[ -n "${INPUT_SPEC:-}" ] && args+=(--spec "$INPUT_SPEC")
# Word splitting of the free-form flags is intended.
# shellcheck disable=SC2206
[ -n "${INPUT_ARGS:-}" ] && args+=($INPUT_ARGS)

set +e
CI=true NO_COLOR=1 node "$root/conformance/bin/agentos-conformance.js" "${args[@]}" | tee "$report_dir/summary.txt"
code=${PIPESTATUS[0]}
set -e
echo "exit-code=$code" >>"${GITHUB_OUTPUT:-/dev/null}"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  { echo '### AgentOS conformance'; echo '```'; tail -n 30 "$report_dir/summary.txt"; echo '```'; } >>"$GITHUB_STEP_SUMMARY"
fi
echo "reports: $report_dir/{junit.xml,report.html,report.json} (exit $code)" >&2
exit "$code"
