#!/usr/bin/env bash
# Writes the Kubernetes Secret "ecommerce-secrets" from Secrets Manager: MIGRATION_DATABASE_URL
# (the RDS-managed master user, for the migration Job only: the services sign in with IAM
# tokens and hold no database password) and REDIS_URL (the cart's and the login throttle's
# Redis, with its AUTH token). Run by the deploy (scripts/deploy-k8s.sh) on every deploy, so a
# password RDS rotated is picked up; the last line it prints is SECRETS_SHA256=<hash of the
# Secret's data>, which the deploy puts into the pod templates of the Deployments that read the
# Secret, so that they roll when it changes.
# Needs: DATABASE_SECRET_ARN, DATABASE_HOST, DATABASE_NAME, REDIS_URL_SECRET_ARN, AWS_REGION;
# kubectl pointed at the cluster. Prints no secret value and puts none on a command line.
set -euo pipefail
: "${DATABASE_SECRET_ARN:?}" "${DATABASE_HOST:?}" "${DATABASE_NAME:?}" "${REDIS_URL_SECRET_ARN:?}"
NAMESPACE="${NAMESPACE:-ecommerce}"
# Where the image keeps the RDS CA bundle (Dockerfile): TLS to RDS is verified, not only on.
RDS_CA_BUNDLE="${RDS_CA_BUNDLE:-/etc/ssl/certs/rds-global-bundle.pem}"

umask 077
workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

secret() {
  aws secretsmanager get-secret-value --secret-id "$1" --query SecretString --output text
}

secret "$DATABASE_SECRET_ARN" > "$workdir/db.json"
secret "$REDIS_URL_SECRET_ARN" > "$workdir/redis-url"
DATABASE_HOST="$DATABASE_HOST" DATABASE_NAME="$DATABASE_NAME" RDS_CA_BUNDLE="$RDS_CA_BUNDLE" \
  python3 - "$workdir" <<'PY'
import json, os, sys, urllib.parse
workdir = sys.argv[1]
with open(os.path.join(workdir, "db.json")) as f:
    master = json.load(f)
user = urllib.parse.quote(master["username"], safe="")
password = urllib.parse.quote(master["password"], safe="")
host = os.environ["DATABASE_HOST"]
name = os.environ["DATABASE_NAME"]
tls = "sslmode=verify-full&sslrootcert=" + urllib.parse.quote(os.environ["RDS_CA_BUNDLE"], safe="/")
with open(os.path.join(workdir, "redis-url")) as f:
    redis_url = f.read().strip()
with open(os.path.join(workdir, "secrets.env"), "w") as f:
    f.write(f"MIGRATION_DATABASE_URL=postgresql://{user}:{password}@{host}:5432/{name}?{tls}\n")
    f.write(f"REDIS_URL={redis_url}\n")
PY

kubectl -n "$NAMESPACE" create secret generic ecommerce-secrets \
  --from-env-file="$workdir/secrets.env" --dry-run=client -o yaml \
  | kubectl apply --server-side --field-manager=ecommerce-secrets -f - >/dev/null
echo "secret ${NAMESPACE}/ecommerce-secrets updated (MIGRATION_DATABASE_URL, REDIS_URL)"
echo "SECRETS_SHA256=$(sha256sum "$workdir/secrets.env" | cut -c1-64)"
