# Sourced by the test scripts: Debian packages the tests need, installed when missing.
#
#   ensure_packages COMMAND=PACKAGE ...
#       for each pair whose COMMAND (a name on PATH, or an absolute path) is missing,
#       installs PACKAGE: one `apt-get update` and one `apt-get install` for all of them (as
#       root, or through sudo). Prints apt's output and fails only when the install fails or
#       a command is still missing after it.

ensure_packages() {
  local pair command missing=() commands=()
  for pair in "$@"; do
    command="${pair%%=*}"
    if [[ "$command" == /* ]]; then
      [[ -x "$command" ]] && continue
    else
      command -v "$command" >/dev/null 2>&1 && continue
    fi
    missing+=("${pair#*=}")
    commands+=("$command")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "installing ${missing[*]} needs root or sudo" >&2; return 1; }
    sudo=(sudo)
  fi
  echo "installing Debian packages: ${missing[*]}" >&2
  local log
  log="$(mktemp)"
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
      sh -c 'apt-get update -qq && apt-get install -y -qq "$@"' apt "${missing[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "could not install ${missing[*]}" >&2
    return 1
  fi
  rm -f "$log"
  for command in "${commands[@]}"; do
    if [[ "$command" == /* ]]; then
      [[ -x "$command" ]] || { echo "$command is still missing after the install" >&2; return 1; }
    else
      command -v "$command" >/dev/null 2>&1 || { echo "$command is still missing after the install" >&2; return 1; }
    fi
  done
}
