#!/usr/bin/env bash
# Installs everything tandem needs on Debian 12 (as root): the Arm GCC toolchain with newlib,
# Icarus Verilog, QEMU (for differential tests), a C compiler for the native cycle hook, and a
# project virtual environment (.venv) with tandem, its test extras and the linters scripts/lint.sh
# runs. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(gcc-arm-none-eabi libnewlib-arm-none-eabi iverilog qemu-system-arm make gcc g++ libc6-dev perl
              python3 python3-venv python3-dev gdb-multiarch yosys chromium)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "[setup] apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "[setup] creating .venv"
    "$PY" -m venv .venv
fi
echo "[setup] pip install -e .[test,lint]"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test,lint]'
# The package's bytecode, written now: where PYTHONDONTWRITEBYTECODE is set (CI images often set
# it) every `tandem` command would otherwise compile its ~100 modules again, 0.1-0.2 s a start.
echo "[setup] compiling the package's bytecode"
.venv/bin/python -m compileall -q -j 0 sim >/dev/null
echo "[setup] done"
