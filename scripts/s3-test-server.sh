#!/usr/bin/env bash
# s3-test-server.sh: install, start and stop the S3-protocol test server
# (@20minutes/s3rver 4.0.4, verifies SigV4) on 127.0.0.1 for Ferry's storage tests.
#
#   scripts/s3-test-server.sh start   # install if needed (npm ci), start, print `export ...` lines
#   scripts/s3-test-server.sh env     # print the `export ...` lines of the running server
#   scripts/s3-test-server.sh stop    # stop it (no-op if not running)
#   eval "$(scripts/s3-test-server.sh start)"
#
# State (port, pid, data, log) lives in $FERRY_S3_HOME, default <repo>/.s3test (gitignored).
# Credentials: S3_ACCESS_KEY / S3_SECRET_KEY (defaults below); buckets: S3_BUCKETS.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOL_DIR="$REPO/tools/s3server"
S3_HOME=${FERRY_S3_HOME:-$REPO/.s3test}
ACCESS_KEY=${S3_ACCESS_KEY:-AKIAMLFLOWTEST}
SECRET_KEY=${S3_SECRET_KEY:-mlflow-secret-123}
BUCKETS=${S3_BUCKETS:-mlflow}

log() { echo "s3-test-server: $*" >&2; }

install() {
  # Idempotent: npm ci only when the pinned package is missing. Parallel test
  # processes serialise on a lock held on package.json (no extra files).
  [ -f "$TOOL_DIR/node_modules/@20minutes/s3rver/package.json" ] && return 0
  (
    flock 9
    if [ ! -f "$TOOL_DIR/node_modules/@20minutes/s3rver/package.json" ]; then
      log "installing @20minutes/s3rver from tools/s3server/package-lock.json (npm ci)"
      npm ci --prefix "$TOOL_DIR" --no-audit --no-fund --loglevel=error >&2
    fi
  ) 9<"$TOOL_DIR/package.json"
}

running() {
  [ -f "$S3_HOME/pid" ] && kill -0 "$(cat "$S3_HOME/pid")" 2>/dev/null
}

print_env() {
  local port
  port=$(cat "$S3_HOME/port")
  echo "export S3_ENDPOINT=http://127.0.0.1:$port"
  echo "export AWS_ENDPOINT_URL=http://127.0.0.1:$port"
  echo "export S3_USE_HTTPS=0"
  echo "export AWS_ACCESS_KEY_ID=$ACCESS_KEY"
  echo "export AWS_SECRET_ACCESS_KEY=$SECRET_KEY"
  echo "export AWS_DEFAULT_REGION=us-east-1"
  echo "export FERRY_S3_PID=$(cat "$S3_HOME/pid")"
}

stop() {
  if [ -f "$S3_HOME/pid" ]; then
    local pid
    pid=$(cat "$S3_HOME/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$S3_HOME/pid" "$S3_HOME/port"
  fi
}

start() {
  install
  stop
  rm -rf "$S3_HOME/data" "$S3_HOME/port"
  mkdir -p "$S3_HOME/data"
  NODE_OPTIONS=--openssl-legacy-provider NODE_PATH="$TOOL_DIR/node_modules" \
    S3_PKG=@20minutes/s3rver S3_PORT=0 S3_DIR="$S3_HOME/data" S3_PORT_FILE="$S3_HOME/port" \
    S3_ACCESS_KEY="$ACCESS_KEY" S3_SECRET_KEY="$SECRET_KEY" S3_BUCKETS="$BUCKETS" \
    nohup node "$TOOL_DIR/start-s3.js" >"$S3_HOME/server.log" 2>&1 </dev/null &
  echo $! >"$S3_HOME/pid"
  for _ in $(seq 1 300); do
    if [ -s "$S3_HOME/port" ] &&
      curl -sS -o /dev/null "http://127.0.0.1:$(cat "$S3_HOME/port")/" 2>/dev/null; then
      log "up at http://127.0.0.1:$(cat "$S3_HOME/port") (pid $(cat "$S3_HOME/pid"))"
      print_env
      return 0
    fi
    running || break
    sleep 0.1
  done
  log "failed to start; log follows"
  cat "$S3_HOME/server.log" >&2
  stop
  return 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env)
    running || { log "not running (start it with: $0 start)"; exit 1; }
    print_env
    ;;
  install) install ;;
  *)
    echo "usage: $0 start|stop|env|install" >&2
    exit 2
    ;;
esac
