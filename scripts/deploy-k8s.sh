#!/usr/bin/env bash
# One deploy of k8s/overlays/$K8S_OVERLAY to the cluster kubectl points at: what the pipeline's
# Deploy stage runs (deploy/buildspec.yml) and what docs/deploy.md runs by hand the first time.
#
#   1 the image: kustomize edit set image ecommerce=$IMAGE (when IMAGE is set)
#   2 the Secret from Secrets Manager (scripts/k8s-secrets.sh); its hash goes into deploy.env
#     (SECRETS_SHA256), so the Deployments that read it roll when it changed
#   3 render the overlay
#   4 apply everything but the Deployments and their autoscalers (config, Secret references,
#     service accounts, policies, target group bindings, the migration Job), then wait until the
#     migration Job completes: no pod of the new version runs before its schema is there
#   5 apply the rest: the Deployments (none carries replicas where an HPA or a ScaledObject owns
#     the count: scripts/validate_k8s.py checks it), then wait for every rollout
#
# Needs: K8S_OVERLAY (dev|prod), kubectl and kustomize, and for step 2 the variables of
# scripts/k8s-secrets.sh. Leaves the rendered manifests in ${RENDERED:-rendered.yaml} (they hold no
# secret: the Secret is applied by k8s-secrets.sh alone).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${K8S_OVERLAY:?dev or prod}"
NAMESPACE="${NAMESPACE:-ecommerce}"
OVERLAY="k8s/overlays/$K8S_OVERLAY"
RENDERED="${RENDERED:-rendered.yaml}"
MANAGER=codepipeline
WORKLOADS='app.kubernetes.io/component in (api,worker)'
BEFORE_WORKLOADS='app.kubernetes.io/component notin (api,worker)'

if [[ -n "${IMAGE:-}" ]]; then
  (cd "$OVERLAY" && kustomize edit set image "ecommerce=$IMAGE")
fi

echo "==> the Secret"
secrets_output="$(bash scripts/k8s-secrets.sh)"
grep -v '^SECRETS_SHA256=' <<<"$secrets_output" || true
hash="$(sed -n 's/^SECRETS_SHA256=//p' <<<"$secrets_output")"
[[ -n "$hash" ]] || { echo "scripts/k8s-secrets.sh printed no SECRETS_SHA256" >&2; exit 1; }
sed -i.bak "s/^SECRETS_SHA256=.*/SECRETS_SHA256=$hash/" "$OVERLAY/deploy.env" && rm -f "$OVERLAY/deploy.env.bak"

echo "==> render $OVERLAY"
kubectl kustomize "$OVERLAY" >"$RENDERED"

echo "==> everything but the Deployments, then the migration Job"
# A Job's pod template is immutable: the migration Job is recreated on every deploy.
kubectl -n "$NAMESPACE" delete job orders-migrate --ignore-not-found --wait=true
kubectl apply --server-side --field-manager="$MANAGER" -f "$RENDERED" -l "$BEFORE_WORKLOADS"
kubectl -n "$NAMESPACE" wait --for=condition=complete job/orders-migrate --timeout=10m

echo "==> the Deployments and their autoscalers"
kubectl apply --server-side --field-manager="$MANAGER" -f "$RENDERED" -l "$WORKLOADS"
for deployment in $(kubectl -n "$NAMESPACE" get deployments -l app.kubernetes.io/part-of=ecommerce -o name); do
  kubectl -n "$NAMESPACE" rollout status "$deployment" --timeout=10m
done
kubectl -n "$NAMESPACE" get deployments,scaledobjects,hpa,targetgroupbindings -o wide || true
