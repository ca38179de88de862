#!/usr/bin/env bash
# mypy --strict on the product (pyproject's [tool.mypy]), then on the tests: each tier on its
# own, as pytest imports it (its folder on the path; conftest modules share one name), with
# tests/unit on the path too (pyproject's pythonpath: the contract tests import its fakes).
set -euo pipefail
cd "$(dirname "$0")/.."
MYPY=${MYPY:-.venv/bin/mypy}
"$MYPY"
for tier in tests/*/; do
    name=$(basename "$tier")
    echo "mypy: tests/$name"
    MYPYPATH="src:$tier:tests/infra:tests/unit" "$MYPY" --explicit-package-bases "$tier"
done
echo "mypy: tests/conftest.py"
MYPYPATH=src "$MYPY" --explicit-package-bases tests/conftest.py
