#!/usr/bin/env bash
# Shared set-up for scripts/demo and scripts/test: idempotent, safe to run again.
#  - system packages (redis-server, chromium, softhsm2, fonts-noto-core) through apt, only when missing;
#  - a virtual environment in .venv with Lintas and its dev tools installed;
#  - the wallet's browser libraries in wallet_demo/node_modules, exactly its npm lock.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v softhsm2-util >/dev/null 2>&1 || need+=(softhsm2)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
# The wallet's Khmer, Lao, Burmese, Thai and Tamil text (system fonts named in style.css; none vendored).
[ -f /usr/share/fonts/truetype/noto/NotoSansKhmer-Regular.ttf ] || need+=(fonts-noto-core)
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

# The virtual environment holds exactly the lock: requirements/dev.txt, every file checked against
# its sha256 (pip --require-hashes), nothing resolved on the day. When the lock or the project's
# metadata changes, the environment is made anew, so nothing outside the lock lingers in it.
# Only the public index: a machine's pip configuration (mirrors, extra indexes, find-links,
# constraints) plays no part, and the hashes decide which files are acceptable anyway.
export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL PIP_CONSTRAINT PIP_REQUIRE_VIRTUALENV || true
stamp=.venv/.lintas-installed
want=$(cat requirements/dev.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "lintas: installing the locked Python environment into .venv (requirements/dev.txt)" >&2
  rm -rf .venv
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --require-hashes --no-deps --only-binary=:all: -r requirements/dev.txt
  .venv/bin/python -m pip install --quiet --no-deps --no-build-isolation --no-index -e .
  if ! broken=$(.venv/bin/python -m pip check); then echo "$broken" >&2; exit 1; fi
  echo "$want" > "$stamp"
fi
if [ -z "${LINTAS_SKIP_LOCK_CHECK:-}" ]; then
  .venv/bin/python scripts/lockcheck.py
fi

# The wallet's browser libraries: exactly wallet_demo/package-lock.json (npm ci checks every
# tarball against its integrity hash and fails when package.json and the lock disagree), no
# install scripts run; made anew only when the lock changes.
npm_stamp=wallet_demo/node_modules/.lintas-installed
npm_want=$(cat wallet_demo/package.json wallet_demo/package-lock.json | sha256sum | cut -d' ' -f1)
if [ ! -f "$npm_stamp" ] || [ "$(cat "$npm_stamp")" != "$npm_want" ]; then
  echo "lintas: installing the wallet's locked npm packages into wallet_demo/node_modules" >&2
  (cd wallet_demo && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  echo "$npm_want" > "$npm_stamp"
fi
