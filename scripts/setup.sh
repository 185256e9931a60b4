#!/usr/bin/env bash
# Install everything formcheck needs on a fresh Debian/Ubuntu machine:
# system packages (listed in .ci/apt-packages.txt) and a virtual environment in .venv
# with the pinned Python dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=$(grep -v '^\s*#' .ci/apt-packages.txt | tr '\n' ' ' | xargs || true)
if [ -n "$pkgs" ]; then
  missing=""
  for p in $pkgs; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "installing system packages:$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
  fi
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -c requirements.lock -e ".[test]"
echo "formcheck installed in .venv ($(.venv/bin/formcheck --version))"
