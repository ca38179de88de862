"""Checkov runs with zero failed checks, so every skip must say why, inline, where it applies:
`#checkov:skip=CKV_X:<reason>` in Terraform and the Dockerfile, a `checkov.io/skipN:
CKV_X=<reason>` annotation in the manifests. This test fails on a skip without a real reason."""

from __future__ import annotations

import re

from infra_tf import REPO

TERRAFORM_SKIP = re.compile(r"#\s*checkov:skip=(?P<id>[A-Z0-9_]+)(?::(?P<reason>.*))?")
K8S_SKIP = re.compile(r"checkov\.io/skip\d+:\s*(?P<id>[A-Z0-9_]+)(?:=(?P<reason>.*))?")
MIN_REASON = 30


def skips() -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    files = [
        *sorted((REPO / "infra" / "terraform").rglob("*.tf")),
        REPO / "Dockerfile",
        *sorted((REPO / "k8s").rglob("*.yaml")),
    ]
    for path in files:
        pattern = K8S_SKIP if path.suffix == ".yaml" else TERRAFORM_SKIP
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = pattern.search(line)
            if match:
                where = f"{path.relative_to(REPO)}:{number}"
                found.append((where, match["id"], (match["reason"] or "").strip()))
    return found


def test_there_are_skips_to_check() -> None:
    assert len(skips()) > 10


def test_every_checkov_skip_carries_its_reason() -> None:
    vague = [f"{where} {check}" for where, check, reason in skips() if len(reason) < MIN_REASON]
    assert not vague, "checkov skips without a reason: " + ", ".join(vague)
