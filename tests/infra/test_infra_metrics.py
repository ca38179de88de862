"""The alarms and the dashboard read the metrics the services write: the names in
docs/metrics.md, and the Service dimension each worker really uses (the name it gives
run_worker())."""

from __future__ import annotations

import re

from infra_iam import declarations
from infra_tf import MODULES, REPO

METRICS_DOC = (REPO / "docs" / "metrics.md").read_text(encoding="utf-8")
OBSERVABILITY = (MODULES / "observability" / "main.tf").read_text(encoding="utf-8")


def documented_metrics() -> set[str]:
    return set(re.findall(r"^\| `(\w+)` \| (?:Count|Milliseconds) \|", METRICS_DOC, re.M))


def test_the_doc_names_the_metrics() -> None:
    assert documented_metrics() == {
        "MessagesReceived",
        "MessagesSucceeded",
        "MessagesFailed",
        "MessagesRetried",
        "MessagesDeadLettered",
        "HandlerLatency",
        "MessageAge",
        "Requests",
        "Latency",
        "Heartbeat",
    }


def test_terraform_reads_only_documented_metrics() -> None:
    used = set(re.findall(r'metric_name\s*=\s*"(\w+)"', OBSERVABILITY))
    used |= set(re.findall(r'\[local\.namespace, "(\w+)"', OBSERVABILITY))
    used |= set(
        re.findall(r"for name in \[([^\]]*)\]", OBSERVABILITY)[0].replace('"', "").split(", ")
    )
    aws_native = {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"}
    assert used - aws_native <= documented_metrics()
    assert "Ecommerce" in OBSERVABILITY and "Ecommerce" in METRICS_DOC


def test_worker_service_dimension_is_the_name_given_to_run_worker() -> None:
    for name, deployable in declarations().items():
        if deployable["kind"] != "worker":
            continue
        source = REPO / (deployable["module"].replace(".", "/") + ".py")
        if not source.exists():
            continue  # not written yet
        (given,) = re.findall(r'run_worker\(\s*"([^"]+)"', source.read_text(encoding="utf-8"))
        assert given == name, f"{source.name} runs as {given!r}; metrics and alarms use {name!r}"
