# Sourced by the test scripts: a server in the background that prints
# "listening on URL" once it accepts connections (conformance-server, chat-server).
#
#   start_server LOG COMMAND [ARGS...]
#       runs COMMAND with its output in LOG; sets server_pid, and server_url to the URL it
#       printed; fails, printing LOG, if it has not started within 10 s.
#   stop_server
#       stops it (for an EXIT trap; harmless when none was started).

server_pid=""
server_url=""

start_server() {
  local log="$1"
  shift
  "$@" >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    grep -q '^listening on ' "$log" && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  server_url="$(sed -n 's/^listening on \(.*\)$/\1/p' "$log")"
  if [[ "$server_url" != http* ]]; then
    echo "the server did not start: $*" >&2
    cat "$log" >&2
    return 1
  fi
}

stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
