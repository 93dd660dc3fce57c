#!/usr/bin/env bash
# Static checks run by CI: ruff over the Python tree, mypy over the package under its import name.
# mypy sees the source folder sim/ as the package `tandem` through a symlink in a scratch folder.
# Both checks always run; the exit status is non-zero if either reports anything.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
status=0
echo "[lint] ruff"
"$PY" -m ruff check sim tests benchmarks rtl scripts examples setup.py || status=1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
ln -s "$PWD/sim" "$scratch/tandem"
echo "[lint] mypy -p tandem"
MYPYPATH="$scratch" "$PY" -m mypy --config-file "$PWD/pyproject.toml" --cache-dir "$scratch/.mypy_cache" -p tandem \
    || status=1
exit "$status"
