#!/usr/bin/env bash
# Every check of the deployment that needs no AWS account, offline, in a few minutes:
#   1 HCL parsing of every .tf file (python-hcl2), and `terraform fmt -check`
#   2 terraform init -backend=false + validate of every environment, module and the emulator
#     root, with the hashicorp/aws provider from the offline mirror (scripts/terraform-env.sh)
#   3 terraform test: environments/dev and environments/prod planned and applied whole with a
#     mocked aws provider, then the assertions of infra/terraform/tests/stack-checks on what the
#     apply made (environments/*/tests/*.tftest.hcl)
#   4 checkov on infra/terraform: zero failed checks (skips carry their reason inline)
#   5 kubectl kustomize: render k8s/overlays/dev, k8s/overlays/prod and k8s/cluster
#   6 Kubernetes schema validation of the rendered manifests, and the deploy rules
#     (scripts/validate_k8s.py: CRDs, autoscaled Deployments without replicas, ...)
#   7 checkov on the rendered manifests and the Dockerfile: zero failed checks
#   8 hadolint on the Dockerfile
#   9 shellcheck on the deploy scripts
#  10 tests/infra: Terraform vs resources.py, IAM policies vs declarations, k8s consistency
# Tools come from .venv-infra (scripts/infra-venv.sh creates it on first use); the tests run in
# the project's .venv; terraform and its provider must be on the machine (one line says what
# is missing, and the check fails). Usage: scripts/check-infra.sh
set -euo pipefail
cd "$(dirname "$0")/.."

KUBERNETES_VERSION="${KUBERNETES_VERSION:-1.35.0}"
TOOLS=.venv-infra/bin
STEPS=10
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

# shellcheck source=scripts/terraform-env.sh
source scripts/terraform-env.sh
if ! terraform_env; then
  echo "==> infra checks FAILED: Terraform cannot run here (see the line above)" >&2
  exit 1
fi

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
if ! "$TERRAFORM" fmt -check -recursive -diff infra/terraform; then
  echo "    terraform fmt: run \`terraform fmt -recursive infra/terraform\`"
  exit 1
fi
echo "    terraform fmt -check: clean ($("$TERRAFORM" version | head -1))"
done_step

begin "terraform init -backend=false and validate, provider hashicorp/aws $TERRAFORM_PROVIDER_VERSION (mirror $TERRAFORM_PROVIDER_MIRROR)"
validate() {
  local dir="$1" out
  terraform_init "$dir" || { echo "    $dir: terraform init failed"; return 1; }
  if out="$(terraform_in "$dir" validate -no-color 2>&1)"; then
    echo "    $dir: valid$(grep -q Warning <<<"$out" && echo " (with warnings:)")"
    grep -A4 '^Warning' <<<"$out" | sed 's/^/      /' || true
  else
    echo "    $dir: INVALID"
    awk '{ print "      " $0 }' <<<"$out"
    return 1
  fi
}
roots=(infra/terraform/environments/* infra/terraform/modules/* infra/terraform/emulator)
# The first one alone: it fills the shared plugin cache, which two inits at once cannot both
# create ("mkdir ...: file exists" on a fresh clone). Then two at a time: each validate loads
# the provider's schema (a few seconds of CPU).
failed=0
validate "${roots[0]}" >"$TERRAFORM_WORK/validate.first.log" 2>&1 || failed=1
pids=()
for dir in "${roots[@]:1}"; do
  validate "$dir" >"$TERRAFORM_WORK/validate.$(basename "$dir").log" 2>&1 &
  pids+=("$!")
  if ((${#pids[@]} >= 2)); then wait "${pids[0]}" || failed=1; pids=("${pids[@]:1}"); fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
cat "$TERRAFORM_WORK"/validate.*.log
rm -f "$TERRAFORM_WORK"/validate.*.log
[[ $failed == 0 ]] || exit 1
echo "    ${#roots[@]} roots and modules valid"
done_step

begin "terraform test: dev and prod planned and applied with a mocked aws provider"
test_environment() {
  local dir="infra/terraform/environments/$1"
  terraform_in "$dir" test -no-color >"$TERRAFORM_WORK/test.$1.log" 2>&1
}
test_environment dev &
dev_test=$!
test_environment prod &
prod_test=$!
status=0
wait "$dev_test" || status=1
wait "$prod_test" || status=1
for environment in dev prod; do
  grep -E '^(  run |Success|Failure)' "$TERRAFORM_WORK/test.$environment.log" \
    | sed "s/^/    $environment: /"
done
if [[ $status != 0 ]]; then
  cat "$TERRAFORM_WORK"/test.*.log
  exit 1
fi
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
"$TOOLS/shellcheck" -x scripts/check-infra.sh scripts/infra-venv.sh scripts/k8s-secrets.sh \
  scripts/terraform-env.sh scripts/test-terraform.sh scripts/deploy-k8s.sh
echo "    clean"
done_step

begin "tests/infra (pytest, project venv)"
project_python -m pytest -q -p no:cacheprovider tests/infra
done_step

echo "==> infra checks passed in $((SECONDS - started)) s"
