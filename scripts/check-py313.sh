#!/usr/bin/env bash
# CI's second Python: lint, type check and the unit tier on Python 3.13, in .venv-313 (the
# integration and end-to-end tiers run on 3.11 only, to keep CI short).
# The interpreter: PY313 if set, else pyenv's newest 3.13.x, else python3.13 on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-313
STAMP="$VENV/.installed"

find_python() {
    if [[ -n "${PY313:-}" ]]; then echo "$PY313"; return; fi
    local root="${PYENV_ROOT:-$HOME/.pyenv}" candidate
    for candidate in $(ls -d "$root"/versions/3.13.* 2>/dev/null | sort -V -r); do
        if [[ -x "$candidate/bin/python" ]]; then echo "$candidate/bin/python"; return; fi
    done
    command -v python3.13 || { echo "no Python 3.13 (set PY313 or install it with pyenv)" >&2; exit 1; }
}

if [[ ! -f "$STAMP" || requirements-dev.lock -nt "$STAMP" || pyproject.toml -nt "$STAMP" ]]; then
    python=$(find_python)
    echo "==> $VENV with $("$python" --version) and the locked dependencies (first run only)"
    rm -rf "$VENV"
    "$python" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --require-hashes -r requirements-dev.lock
    "$VENV/bin/python" -m pip install --quiet --no-deps -e .
    touch "$STAMP"
fi
echo "==> $("$VENV/bin/python" --version): ruff, mypy, unit tests"
"$VENV/bin/ruff" check .
"$VENV/bin/mypy" --python-version 3.13
"$VENV/bin/python" -m pytest -q -p no:cacheprovider tests/unit
