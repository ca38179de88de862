"""Is LocalStack up? Used by `scripts/localstack.sh`; standard library only, any Python 3.9+.

    localstack_probe.py check BASE_URL sqs,sns,...   exit 0 if each service is available/running
    localstack_probe.py warm  BASE_URL sqs,sns,...   load each service, exit 0 if each is running

LocalStack loads services lazily (the first SQS call takes about 3 s): `warm` sends each one a
harmless list request so that the first test does not pay for it, and so that a service that
cannot load fails the start rather than a test. Prints one line: the services' states, or why not.
Exit codes: 0 ready, 1 not ready, 2 not answering.
"""

from __future__ import annotations

import json
import sys
import urllib.request

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy

# One harmless request per service: (method, X-Amz-Target or None, content type, body).
_WARM_UP: dict[str, tuple[str, str | None, str | None, bytes | None]] = {
    "sqs": ("POST", "AmazonSQS.ListQueues", "application/x-amz-json-1.0", b"{}"),
    "secretsmanager": ("POST", "secretsmanager.ListSecrets", "application/x-amz-json-1.1", b"{}"),
    "sns": (
        "POST",
        None,
        "application/x-www-form-urlencoded",
        b"Action=ListTopics&Version=2010-03-31",
    ),
    "s3": ("GET", None, None, None),
}


def service_states(base: str) -> dict[str, str]:
    with _OPENER.open(f"{base}/_localstack/health", timeout=3) as response:
        states: dict[str, str] = json.load(response).get("services", {})
    return states


def warm(base: str, service: str) -> None:
    method, target, content_type, body = _WARM_UP.get(service, ("GET", None, None, None))
    # LocalStack routes on the credential scope and does not check signatures.
    headers = {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/"
        "aws4_request, SignedHeaders=host, Signature=0"
    }
    if target:
        headers["X-Amz-Target"] = target
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(f"{base}/", data=body, headers=headers, method=method)
    try:
        with _OPENER.open(request, timeout=60) as response:
            response.read()
    except OSError as error:  # an error answer loads the service all the same
        print(f"warm-up request to {service}: {error}", file=sys.stderr)


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[1] not in ("check", "warm"):
        print(__doc__, file=sys.stderr)
        return 64
    mode, base, wanted = argv[1], argv[2].rstrip("/"), argv[3].split(",")
    try:
        if mode == "warm":
            for service in wanted:
                warm(base, service)
        states = service_states(base)
    except (OSError, ValueError) as error:
        print(f"health endpoint not answering: {error}")
        return 2
    accepted = ("available", "running") if mode == "check" else ("running",)
    state = {service: states.get(service, "absent") for service in wanted}
    summary = ", ".join(f"{service}={value}" for service, value in state.items())
    if any(value not in accepted for value in state.values()):
        print(f"services not ready: {summary}")
        return 1
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
