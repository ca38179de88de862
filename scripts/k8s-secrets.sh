#!/usr/bin/env bash
# Writes the Kubernetes Secret "ecommerce-secrets" (DATABASE_URL for orders, REDIS_URL for the
# cart) from Secrets Manager: the RDS-managed master secret and the Redis URL secret. Run by
# the deploy stage (deploy/buildspec.yml) and by the first deploy by hand (docs/deploy.md).
# Needs: DATABASE_SECRET_ARN, DATABASE_HOST, DATABASE_NAME, REDIS_URL_SECRET_ARN, AWS_REGION;
# kubectl pointed at the cluster. Prints no secret value and puts none on a command line.
set -euo pipefail
: "${DATABASE_SECRET_ARN:?}" "${DATABASE_HOST:?}" "${DATABASE_NAME:?}" "${REDIS_URL_SECRET_ARN:?}"
NAMESPACE="${NAMESPACE:-ecommerce}"

umask 077
workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

secret() {
  aws secretsmanager get-secret-value --secret-id "$1" --query SecretString --output text
}

secret "$DATABASE_SECRET_ARN" > "$workdir/db.json"
secret "$REDIS_URL_SECRET_ARN" > "$workdir/redis-url"
DATABASE_HOST="$DATABASE_HOST" DATABASE_NAME="$DATABASE_NAME" python3 - "$workdir" <<'PY'
import json, os, sys, urllib.parse
workdir = sys.argv[1]
with open(os.path.join(workdir, "db.json")) as f:
    master = json.load(f)
user = urllib.parse.quote(master["username"], safe="")
password = urllib.parse.quote(master["password"], safe="")
host = os.environ["DATABASE_HOST"]
name = os.environ["DATABASE_NAME"]
with open(os.path.join(workdir, "redis-url")) as f:
    redis_url = f.read().strip()
with open(os.path.join(workdir, "secrets.env"), "w") as f:
    f.write(f"DATABASE_URL=postgresql://{user}:{password}@{host}:5432/{name}?sslmode=require\n")
    f.write(f"REDIS_URL={redis_url}\n")
PY

kubectl -n "$NAMESPACE" create secret generic ecommerce-secrets \
  --from-env-file="$workdir/secrets.env" --dry-run=client -o yaml \
  | kubectl apply --server-side --field-manager=ecommerce-secrets -f - >/dev/null
echo "secret ${NAMESPACE}/ecommerce-secrets updated (DATABASE_URL, REDIS_URL)"
