#!/usr/bin/env bash
# Set up everything formcheck needs on a Debian/Ubuntu machine, one progress line per step:
#   1. system packages listed in .ci/apt-packages.txt (apt-get, via sudo when not root)
#   2. the virtual environment .venv (Python 3.11-3.13; $PYTHON picks the interpreter)
#   3. the pinned Python dependencies (requirements.lock) and formcheck itself (editable)
#   4. the pose models and sample clips (`formcheck fetch`: copied from ../shared, else downloaded)
# Then it writes .venv/.formcheck-setup, a stamp holding the hash of requirements.lock,
# pyproject.toml and .ci/apt-packages.txt; ./formcheck skips all of this while the stamp matches.
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { echo "formcheck setup [$1/4] $2" >&2; }

# -- 1. system packages -------------------------------------------------------------------
pkgs=$(grep -v '^\s*#' .ci/apt-packages.txt | tr '\n' ' ' | xargs || true)
missing=""
for p in $pkgs; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -z "$missing" ]; then
  step 1 "system packages: all $(echo $pkgs | wc -w) present (.ci/apt-packages.txt)"
else
  step 1 "system packages: installing$missing (apt-get)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then SUDO="sudo"; else
      echo "formcheck setup: not root and no sudo; install these and run again:$missing" >&2
      exit 1
    fi
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# -- 2. virtual environment ---------------------------------------------------------------
PY=${PYTHON:-python3}
if [ -x .venv/bin/python ]; then
  step 2 "Python environment: .venv exists ($(.venv/bin/python --version 2>&1))"
else
  if ! "$PY" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 13)))' 2>/dev/null; then
    echo "formcheck setup: formcheck needs Python 3.11-3.13; $PY is $("$PY" --version 2>&1 || echo missing)." \
         "Set PYTHON=/path/to/python3.12 and run again." >&2
    exit 1
  fi
  step 2 "Python environment: creating .venv with $("$PY" --version 2>&1)"
  "$PY" -m venv .venv
fi

# -- 3. pinned dependencies ---------------------------------------------------------------
step 3 "Python packages: installing requirements.lock into .venv (a few minutes the first time)"
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -c requirements.lock -e ".[test]"

# -- 4. models and sample clips -----------------------------------------------------------
step 4 "pose models and sample clips: formcheck fetch (from ../shared when there, else downloaded)"
if ! .venv/bin/formcheck fetch >/dev/null; then
  echo "formcheck setup: some files could not be fetched (see above); run ./formcheck fetch later." >&2
fi

# -- stamp ----------------------------------------------------------------------------------
cat requirements.lock pyproject.toml .ci/apt-packages.txt | sha256sum | cut -d' ' -f1 > .venv/.formcheck-setup
echo "formcheck setup: done ($(.venv/bin/formcheck --version))" >&2
