#!/usr/bin/env bash
# Shared set-up for scripts/demo and scripts/test: idempotent, safe to run again.
#  - system packages (redis-server, chromium, softhsm2) through apt, only when missing;
#  - a virtual environment in .venv with Lintas and its dev tools installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v softhsm2-util >/dev/null 2>&1 || need+=(softhsm2)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
if [ "${#need[@]}" -gt 0 ]; then
  echo "lintas: installing system packages: ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

python3 - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit("lintas needs Python 3.11 or newer, found " + sys.version.split()[0])
PY

[ -x .venv/bin/python ] || python3 -m venv .venv
# Reinstall only when the dependency list changed since the last install.
stamp=.venv/.lintas-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "lintas: installing Python dependencies into .venv" >&2
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  echo "$want" > "$stamp"
fi
