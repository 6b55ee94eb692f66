# Shared by the target scripts (conformance/targets/*/run.sh); source it, do not run it.
# After `target_init "$here" [RUN_DIR]`: $root (the repository), $tmp (a private temp dir with an RS256
# key pair, private.pem and public.pem, removed on exit with the server), $rundir (logs, reports;
# default $here/run).
# The caller starts its server in the background, then `target_started $! PORT NAME` waits for
# /health, and `target_suite PORT [suite flags...]` runs the suite with the reports into run/.
# Security-key mode: `target_key` writes a random key to $key_file (export it to the server as
# OS_SECURITY_KEY); target_suite then passes --security-key $key_file instead of the JWT flags.

target_init() {
  here="$1"
  rundir="${2:-$here/run}"
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  tmp="$(mktemp -d)"
  server_pid=""
  key_file=""
  mkdir -p "$rundir"
  # The servers started here name their database (in memory); a DATABASE_URL from the caller would win over it.
  unset DATABASE_URL
  trap target_cleanup EXIT
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/private.pem" 2>/dev/null
  openssl pkey -in "$tmp/private.pem" -pubout -out "$tmp/public.pem"
}

target_cleanup() {
  if [ -n "${server_pid:-}" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "${tmp:-}"
}

# target_key: a random 32-byte key (base64url) in $tmp/security-key; prints nothing.
target_key() {
  key_file="$tmp/security-key"
  openssl rand -base64 32 | tr '+/' '-_' | tr -d '=\n' >"$key_file"
}

# target_port DEFAULT: the port to start a server on. With PORT set, that port, refused (exit 3) when something
# already listens there; without, the first free port from DEFAULT on. A server already on the port would answer
# /health for ours (which then fails to bind) and the suite would probe a stranger with old rows.
target_port() {
  local p="${PORT:-$1}" last
  last=$((p + 50))
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do
    if [ -n "${PORT:-}" ] || [ "$p" -ge "$last" ]; then
      echo "run.sh: port $p on 127.0.0.1 is already in use by another process; stop it or set PORT" >&2
      exit 3
    fi
    p=$((p + 1))
  done
  echo "$p"
}

# target_started PID PORT NAME: waits up to 2 minutes for /health; exits 3 if the server dies or never answers.
target_started() {
  server_pid="$1"
  local port="$2" name="$3"
  for _ in $(seq 1 240); do
    if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
      # Still ours: a server that lost the port to another process exits with EADDRINUSE.
      sleep 0.2
      if kill -0 "$server_pid" 2>/dev/null; then return 0; fi
      echo "run.sh: $name exited after /health answered (another process holds port $port?); see $rundir/server.log" >&2
      tail -20 "$rundir/server.log" >&2
      exit 3
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "run.sh: $name exited during start-up; see $rundir/server.log" >&2
      tail -20 "$rundir/server.log" >&2
      exit 3
    fi
    sleep 0.5
  done
  echo "run.sh: $name: /health never answered; see $rundir/server.log" >&2
  exit 3
}

# target_suite PORT [flags...]: the suite with the target's key, audience and user isolation (ISOLATION=false:
# without); exits with its status.
target_suite() {
  local port="$1"
  shift
  local status
  local auth=(--signing-key "$tmp/private.pem" --alg RS256 --audience agentos-conformance)
  [ "${ISOLATION:-true}" = false ] || auth+=(--user-isolation)
  [ -z "${key_file:-}" ] || auth=(--security-key "$key_file")
  set +e
  node "$root/conformance/bin/agentos-conformance.js" \
    --base-url "http://127.0.0.1:$port" \
    "${auth[@]}" \
    --report "json:$rundir/report.json" \
    --report "junit:$rundir/junit.xml" \
    --report "html:$rundir/report.html" \
    "$@"
  status=$?
  set -e
  echo "reports: $rundir/report.{json,html} $rundir/junit.xml (exit $status)" >&2
  exit "$status"
}
