#!/usr/bin/env bash
# Terraform made for real: apply the application's resources (infra/terraform/emulator, which
# calls modules/application) to an AWS emulator with the provider's endpoints pointed at it,
# run the order saga and an image upload end to end on what Terraform made, then `ecommerce
# audit` on it (ecommerce dev with its own provisioning off: ECOMMERCE_PROVISION=off), destroy,
# and check that nothing is left.
#
#   scripts/test-terraform.sh              both tiers: moto, then LocalStack
#   scripts/test-terraform.sh moto         the embedded emulator (moto server, as ecommerce dev runs it)
#   scripts/test-terraform.sh localstack   LocalStack on LOCALSTACK_PORT (4566): SQS, SNS, S3,
#                                          Secrets Manager; DynamoDB on moto, as make test-localstack
#
# LocalStack listens on one port (LOCALSTACK_PORT): on a shared machine run this under
# `flock /tmp/localstack.lock`. Needs terraform and the offline aws provider
# (scripts/terraform-env.sh says where it looks). Each tier prints its durations.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY="$ROOT/.venv/bin/python"
MODULE=infra/terraform/emulator
REGION=us-east-1
TIERS=("${@:-moto localstack}")
read -r -a TIERS <<<"${TIERS[*]}"

# shellcheck source=scripts/terraform-env.sh
source scripts/terraform-env.sh
terraform_env || exit 1

work="$(mktemp -d)"
moto_pid=""
localstack_started=""
applied=""
tier=""
tf_vars=()

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

tf() { TF_DATA_DIR="$work/tfdata" "$TERRAFORM" -chdir="$MODULE" "$@"; }

# LocalStack answers an empty RedriveAllowPolicy once it is removed, where AWS (and moto) leave
# the attribute out: the provider would wait for it to go until its delete times out. So on
# LocalStack these leave the state instead; the DLQs that hold them are destroyed anyway, and
# the leftover check below proves it.
forget_what_localstack_cannot_delete() {
  if [[ "${tier:-}" == localstack ]]; then
    tf state rm -no-color -backup="$work/state-rm.backup" \
      'module.application.module.messaging.aws_sqs_queue_redrive_allow_policy.dlq' \
      >/dev/null 2>&1 || true
  fi
}

cleanup() {
  local status=$?
  if [[ -n "$applied" ]]; then
    echo "==> cleaning up: terraform destroy"
    forget_what_localstack_cannot_delete
    tf destroy -auto-approve -no-color "${tf_vars[@]}" >"$work/destroy-on-exit.log" 2>&1 || true
  fi
  if [[ -n "$moto_pid" ]]; then kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; fi
  if [[ -n "$localstack_started" ]]; then bash scripts/localstack.sh stop || true; fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT INT TERM

start_moto() {
  local port
  port="$(free_port)"
  "$PY" -m ecommerce.devstack.moto_main -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
  moto_pid=$!
  for _ in $(seq 1 100); do
    if "$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" 2>/dev/null; then
      MOTO_URL="http://127.0.0.1:$port"
      return 0
    fi
    sleep 0.1
  done
  cat "$work/moto.log" >&2
  echo "moto did not start" >&2
  return 1
}

stop_moto() {
  kill "$moto_pid" 2>/dev/null || true
  wait "$moto_pid" 2>/dev/null || true
  moto_pid=""
}

run_tier() {
  tier="$1"
  local began=$SECONDS step aws account prefix
  echo
  echo "==> [$tier] Terraform-made resources on the emulator"
  start_moto
  if [[ "$tier" == localstack ]]; then
    if ! bash scripts/localstack.sh status >/dev/null 2>&1; then localstack_started=1; fi
    bash scripts/localstack.sh start
    aws="http://127.0.0.1:${LOCALSTACK_PORT:-4566}"
    account=000000000000
  else
    aws="$MOTO_URL"
    account=123456789012
  fi
  prefix="tf$(date +%s | tail -c 7)$RANDOM"
  tf_vars=(
    -var "prefix=$prefix" -var "region=$REGION" -var "account_id=$account"
    -var "endpoints={dynamodb=\"$MOTO_URL\",s3=\"$aws\",secretsmanager=\"$aws\",sns=\"$aws\",sqs=\"$aws\"}"
  )
  rm -rf "$work/tfdata"
  tf init -input=false -no-color -backend-config="path=$work/$tier.tfstate" >"$work/init.log" 2>&1 \
    || { cat "$work/init.log" >&2; return 1; }

  step=$SECONDS
  echo "==> [$tier] terraform apply (prefix $prefix; the provider waits for SQS to settle after each write)"
  applied=1
  tf apply -auto-approve -no-color "${tf_vars[@]}" >"$work/apply.log" 2>&1 \
    || { tail -60 "$work/apply.log" >&2; return 1; }
  grep -E '^Apply complete' "$work/apply.log" | sed 's/^/    /'
  echo "    in $((SECONDS - step)) s"
  topic_arn="$(tf output -raw topic_arn)"

  # The AWS settings of everything below: the emulator, its region, dummy credentials.
  local -a app_env=(
    AWS_ENDPOINT_URL="$aws" AWS_ENDPOINT_URL_DYNAMODB="$MOTO_URL" AWS_REGION="$REGION"
    AWS_DEFAULT_REGION="$REGION" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
    ECOMMERCE_PREFIX="$prefix"
  )
  echo "==> [$tier] the first token-signing key set (python -m ecommerce.users.keys init)"
  env "${app_env[@]}" "$PY" -m ecommerce.users.keys init | sed 's/^/    /'

  step=$SECONDS
  echo "==> [$tier] the order saga, an image upload and ecommerce audit, ecommerce dev with ECOMMERCE_PROVISION=off"
  env "${app_env[@]}" ECOMMERCE_PROVISION=off ECOMMERCE_TOPIC_ARN="$topic_arn" \
    "$PY" -m pytest -q -p no:cacheprovider tests/e2e/test_order_saga.py \
    "tests/e2e/test_catalog_admin_e2e.py::test_an_admin_creates_a_product_uploads_an_image_and_its_thumbnail_appears" \
    tests/e2e/test_zzzzz_audit.py
  echo "    in $((SECONDS - step)) s"

  step=$SECONDS
  echo "==> [$tier] terraform destroy"
  forget_what_localstack_cannot_delete
  tf destroy -auto-approve -no-color "${tf_vars[@]}" >"$work/destroy.log" 2>&1 \
    || { tail -60 "$work/destroy.log" >&2; return 1; }
  applied=""
  grep -E '^Destroy complete' "$work/destroy.log" | sed 's/^/    /'
  echo "    in $((SECONDS - step)) s"
  echo "==> [$tier] nothing left under $prefix"
  env "${app_env[@]}" "$PY" scripts/emulator_leftovers.py "$prefix"

  stop_moto
  if [[ -n "$localstack_started" ]]; then bash scripts/localstack.sh stop; localstack_started=""; fi
  echo "==> [$tier] passed in $((SECONDS - began)) s"
}

started=$SECONDS
for tier in "${TIERS[@]}"; do
  case "$tier" in
    moto | localstack) run_tier "$tier" ;;
    *) echo "usage: scripts/test-terraform.sh [moto] [localstack]" >&2; exit 2 ;;
  esac
done
echo
echo "==> test-terraform passed in $((SECONDS - started)) s (${TIERS[*]})"
