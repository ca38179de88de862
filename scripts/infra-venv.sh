#!/usr/bin/env bash
# Creates (on first use, or when a lock file changed) the tool venv behind scripts/check-infra.sh:
#   .venv-infra/            checkov, hadolint, kubectl, kubernetes-validate, shellcheck
#                           (requirements-infra.lock)
#   .venv-infra/hcl2/       python-hcl2 for the infra tests, as a --target dir that the project's
#                           own .venv reads through PYTHONPATH (requirements-infra-hcl.lock); only
#                           needed while the project venv lacks python-hcl2.
# Usage: scripts/infra-venv.sh        (prints nothing when everything is already in place)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv-infra
STAMP="$VENV/.installed"
HCL_DIR="$VENV/hcl2"
HCL_STAMP="$HCL_DIR/.installed"

lock_hash() { sha256sum "$@" | sha256sum | cut -c1-16; }

# pip, minus this machine's notes about local index folders that do not exist.
pip_quietly() {
  local log status=0
  log="$(mktemp)"
  "$@" >"$log" 2>&1 || status=$?
  grep -v "^WARNING: Location '.*' is ignored" "$log" || true
  rm -f "$log"
  return "$status"
}

want="$(lock_hash requirements-infra.lock)"
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$want" ]]; then
  echo "==> creating $VENV from requirements-infra.lock (first run only, about a minute)"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  pip_quietly "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  pip_quietly "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r requirements-infra.lock
  echo "$want" > "$STAMP"
fi

# python-hcl2 next to the project venv, unless that venv already has it.
if [[ -x .venv/bin/python ]] && ! .venv/bin/python -c \
  "import importlib.metadata as m; m.version('python-hcl2')" 2>/dev/null; then
  want_hcl="$(lock_hash requirements-infra-hcl.lock)"
  if [[ ! -f "$HCL_STAMP" || "$(cat "$HCL_STAMP")" != "$want_hcl" ]]; then
    echo "==> installing python-hcl2 into $HCL_DIR for the project venv (first run only)"
    rm -rf "$HCL_DIR"
    pip_quietly .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
      --target "$HCL_DIR" -r requirements-infra-hcl.lock
    echo "$want_hcl" > "$HCL_STAMP"
  fi
fi
