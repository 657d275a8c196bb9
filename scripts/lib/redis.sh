# Sourced by the test scripts: private redis-server instances on free ports of 127.0.0.1
# (never a shared fixed port), each in its own directory, daemonized with its pid there.
#
#   ensure_redis_server
#       installs Debian's redis-server package when redis-server is missing (as root, or
#       through sudo); no service is started by it here.
#   start_redis DIR [PORT]
#       starts redis-server on PORT (default: a free port); sets redis_port and redis_url
#       (redis://127.0.0.1:PORT); fails, printing its log, if it does not answer within 10 s.
#   kill_redis DIR
#       kills it with SIGKILL, as a crash would (the port is then free for a restart).
#   stop_redis DIR
#       stops it (for an EXIT trap; harmless when none runs).

redis_port=""
redis_url=""

ensure_redis_server() {
  source "$(dirname "${BASH_SOURCE[0]}")/packages.sh"
  ensure_packages redis-server=redis-server
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_redis() {
  local dir="$1" port="${2:-}"
  mkdir -p "$dir"
  [[ -n "$port" ]] || port="$(free_port)"
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --protected-mode no \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" \
    >/dev/null 2>&1 || true
  for _ in $(seq 100); do
    if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
      redis_port="$port"
      redis_url="redis://127.0.0.1:$port"
      echo "$port" >"$dir/redis.port"
      return 0
    fi
    sleep 0.1
  done
  echo "redis-server did not start on port $port" >&2
  cat "$dir/redis.log" >&2 2>/dev/null || true
  return 1
}

# Whether process $1 still runs (a killed daemon nobody reaps stays a zombie: not running).
running() {
  local state
  state="$(sed -n 's/^[0-9]* (.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null || true)"
  [[ -n "$state" && "$state" != Z ]]
}

kill_redis() {
  local dir="$1" pid
  pid="$(cat "$dir/redis.pid" 2>/dev/null || true)"
  [[ -n "$pid" ]] || return 0
  kill -9 "$pid" 2>/dev/null || true
  # Wait for the process to be gone, so its port is free again.
  for _ in $(seq 100); do
    running "$pid" || break
    sleep 0.05
  done
  rm -f "$dir/redis.pid"
}

stop_redis() {
  local dir="$1" pid
  pid="$(cat "$dir/redis.pid" 2>/dev/null || true)"
  [[ -n "$pid" ]] || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    running "$pid" || break
    sleep 0.05
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/redis.pid"
}
