"""Validate rendered Kubernetes manifests: `python scripts/validate_k8s.py FILE...`.

Built-in kinds go through kubernetes-validate in strict mode (unknown fields are errors)
against the Kubernetes version given by --kubernetes-version. KEDA's ScaledObject and
TriggerAuthentication have no schema there (they are CRDs): they are validated against
scripts/k8s-schemas/keda-v2.json, a hand-written subset of KEDA's CRD schemas, and reported
as such, and so is the load balancer controller's TargetGroupBinding (scripts/k8s-schemas/
elbv2-v1beta1.json). Any other kind without a schema fails. Then the rules of a deploy that
survives its second run, over each rendered file as a whole:
  - no Deployment that an HPA or a KEDA ScaledObject scales carries spec.replicas (server-side
    apply would take the count back from the autoscaler, and fail on the field conflict);
  - each TargetGroupBinding names a Service of the same file (the target group gets its pods).
Exit status 1 on any failure.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

yaml: Any = importlib.import_module("yaml")
jsonschema: Any = importlib.import_module("jsonschema")
kubernetes_validate: Any = importlib.import_module("kubernetes_validate")

SCHEMAS = Path(__file__).with_name("k8s-schemas")
KEDA_SCHEMA = SCHEMAS / "keda-v2.json"
ELBV2_SCHEMA = SCHEMAS / "elbv2-v1beta1.json"
CRD_SCHEMAS = {
    ("keda.sh/v1alpha1", "ScaledObject"): KEDA_SCHEMA,
    ("keda.sh/v1alpha1", "TriggerAuthentication"): KEDA_SCHEMA,
    ("elbv2.k8s.aws/v1beta1", "TargetGroupBinding"): ELBV2_SCHEMA,
}


def documents(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as stream:
        return [d for d in yaml.safe_load_all(stream) if d]


def deploy_rule_failures(objects: list[dict[str, Any]], where: str) -> list[str]:
    """The rules of a deploy that survives its second run (see the module's docstring)."""
    failures: list[str] = []
    scaled = {
        (o.get("metadata", {}).get("namespace"), o["spec"]["scaleTargetRef"]["name"])
        for o in objects
        if o.get("kind") in ("HorizontalPodAutoscaler", "ScaledObject")
        and o["spec"]["scaleTargetRef"].get("kind", "Deployment") == "Deployment"
    }
    services = {
        (o.get("metadata", {}).get("namespace"), o["metadata"]["name"])
        for o in objects
        if o.get("kind") == "Service"
    }
    for o in objects:
        key = (o.get("metadata", {}).get("namespace"), o.get("metadata", {}).get("name"))
        if o.get("kind") == "Deployment" and key in scaled and "replicas" in o.get("spec", {}):
            failures.append(
                f"{where}: Deployment/{key[1]} sets spec.replicas, but an autoscaler owns it"
            )
        if o.get("kind") == "TargetGroupBinding":
            service = (key[0], o["spec"]["serviceRef"]["name"])
            if service not in services:
                failures.append(
                    f"{where}: TargetGroupBinding/{key[1]} names no Service {service[1]}"
                )
    return failures


def validate(path: Path, version: str) -> tuple[int, int, list[str]]:
    """(built-in objects checked, CRD objects checked, failures) for one rendered file."""
    validators = {
        kind: jsonschema.Draft202012Validator(json.loads(schema.read_text(encoding="utf-8")))
        for kind, schema in CRD_SCHEMAS.items()
    }
    builtin = crd = 0
    objects = documents(path)
    failures: list[str] = deploy_rule_failures(objects, path.name)
    for document in objects:
        kind = (document.get("apiVersion", ""), document.get("kind", ""))
        name = f"{path.name}: {kind[1]}/{document.get('metadata', {}).get('name', '?')}"
        if kind in validators:
            crd += 1
            errors = sorted(validators[kind].iter_errors(document), key=lambda e: list(e.path))
            failures.extend(f"{name}: {e.message} at {list(e.path)}" for e in errors)
            continue
        try:
            kubernetes_validate.validate(document, version, strict=True)
            builtin += 1
        except kubernetes_validate.SchemaNotFoundError:
            failures.append(f"{name}: no schema for {kind[0]} {kind[1]} (not a built-in kind)")
        except kubernetes_validate.ValidationError as error:
            failures.append(f"{name}: {error.message} at {list(error.path)}")
    return builtin, crd, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--kubernetes-version", default="1.34.0")
    args = parser.parse_args(argv)
    failed = False
    for path in args.files:
        builtin, crd, failures = validate(path, args.kubernetes_version)
        status = "FAILED" if failures else "ok"
        print(
            f"  {path}: {builtin} objects valid against Kubernetes {args.kubernetes_version} "
            f"(strict); {crd} CRD objects against {KEDA_SCHEMA.name} and {ELBV2_SCHEMA.name} "
            f"(hand-written subsets of the KEDA and load balancer controller CRD schemas: the "
            f"upstream CRDs are not vendored); deploy rules checked -- {status}"
        )
        for failure in failures:
            print(f"    {failure}")
        failed = failed or bool(failures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
