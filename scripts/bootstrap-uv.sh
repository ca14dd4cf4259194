#!/usr/bin/env bash
# Print the path of a uv binary, installing uv with pip into .tools/ when none is on PATH.
# Works on a fresh Debian with only python3, make and apt (PEP 668 forbids system pip
# installs, so uv goes into a small private venv).
set -euo pipefail
if command -v uv >/dev/null 2>&1; then command -v uv; exit 0; fi
if [ -x .tools/bin/uv ]; then echo .tools/bin/uv; exit 0; fi
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c "import ensurepip" >/dev/null 2>&1; then
  echo "installing python3-venv with apt / 用 apt 安装 python3-venv" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >&2 && $SUDO apt-get install -y -qq python3-venv python3-pip >&2
fi
python3 -m venv .tools >&2
.tools/bin/python -m pip install -q --disable-pip-version-check uv >&2
echo .tools/bin/uv
