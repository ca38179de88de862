"""Validate rendered Kubernetes manifests: `python scripts/validate_k8s.py FILE...`.

Built-in kinds go through kubernetes-validate in strict mode (unknown fields are errors)
against the Kubernetes version given by --kubernetes-version. KEDA's ScaledObject and
TriggerAuthentication have no schema there (they are CRDs): they are validated against
scripts/k8s-schemas/keda-v2.json, a hand-written subset of KEDA's CRD schemas, and reported
as such. Any other kind without a schema fails. Exit status 1 on any failure.
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

KEDA_SCHEMA = Path(__file__).with_name("k8s-schemas") / "keda-v2.json"
KEDA_KINDS = {("keda.sh/v1alpha1", "ScaledObject"), ("keda.sh/v1alpha1", "TriggerAuthentication")}


def documents(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as stream:
        return [d for d in yaml.safe_load_all(stream) if d]


def validate(path: Path, version: str) -> tuple[int, int, list[str]]:
    """(built-in objects checked, CRD objects checked, failures) for one rendered file."""
    keda = jsonschema.Draft202012Validator(json.loads(KEDA_SCHEMA.read_text(encoding="utf-8")))
    builtin = crd = 0
    failures: list[str] = []
    for document in documents(path):
        kind = (document.get("apiVersion", ""), document.get("kind", ""))
        name = f"{path.name}: {kind[1]}/{document.get('metadata', {}).get('name', '?')}"
        if kind in KEDA_KINDS:
            crd += 1
            errors = sorted(keda.iter_errors(document), key=lambda e: list(e.path))
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
            f"(strict); {crd} KEDA objects against {KEDA_SCHEMA.name} (hand-written subset of "
            f"KEDA's CRD schemas: the upstream CRDs are not vendored) -- {status}"
        )
        for failure in failures:
            print(f"    {failure}")
        failed = failed or bool(failures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
