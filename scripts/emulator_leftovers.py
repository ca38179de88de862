"""What an AWS emulator still holds under a prefix: `scripts/emulator_leftovers.py PREFIX`.

After `terraform destroy` of infra/terraform/emulator, nothing of the application's resources
may be left: no SNS topic or subscription, SQS queue, DynamoDB table, S3 bucket or Secrets
Manager secret whose name starts with PREFIX. The endpoints come from the usual variables
(AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>), as for the services. Prints each leftover and
exits 1 when there is one, 0 when there is none.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import boto3


def leftovers(prefix: str) -> Iterator[str]:
    session = boto3.session.Session()
    sns = session.client("sns")
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page.get("Topics", []):
            if topic["TopicArn"].rsplit(":", 1)[-1].startswith(prefix):
                yield f"topic {topic['TopicArn']}"
    for page in sns.get_paginator("list_subscriptions").paginate():
        for subscription in page.get("Subscriptions", []):
            if subscription["TopicArn"].rsplit(":", 1)[-1].startswith(prefix):
                yield f"subscription {subscription['SubscriptionArn']}"
    sqs = session.client("sqs")
    for url in sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", []):
        yield f"queue {url}"
    dynamodb = session.client("dynamodb")
    for page in dynamodb.get_paginator("list_tables").paginate():
        yield from (f"table {t}" for t in page.get("TableNames", []) if t.startswith(prefix))
    s3 = session.client("s3")
    buckets: list[dict[str, Any]] = s3.list_buckets().get("Buckets", [])
    yield from (f"bucket {b['Name']}" for b in buckets if b["Name"].startswith(prefix))
    secrets = session.client("secretsmanager")
    for page in secrets.get_paginator("list_secrets").paginate(IncludePlannedDeletion=True):
        for secret in page.get("SecretList", []):
            if secret["Name"].startswith(prefix):
                yield f"secret {secret['Name']}"


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0]:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    found = list(leftovers(argv[0]))
    for item in found:
        print(f"    left: {item}")
    print(f"    {len(found)} resources left under prefix {argv[0]!r}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
