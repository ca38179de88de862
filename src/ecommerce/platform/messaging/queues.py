"""Looks up a declared queue's URL, DLQ and settings from SQS itself."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ecommerce.platform.messaging.consumer import QueueConfig
from ecommerce.resources import RESOURCES, physical

if TYPE_CHECKING:
    from types_aiobotocore_sqs import SQSClient


async def resolve_queue(sqs: SQSClient, name: str) -> QueueConfig:
    declared = RESOURCES.queue(name)
    url = (await sqs.get_queue_url(QueueName=physical(declared.name)))["QueueUrl"]
    dlq_url = (await sqs.get_queue_url(QueueName=physical(declared.dlq_name)))["QueueUrl"]
    attributes = (
        await sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["VisibilityTimeout", "RedrivePolicy"]
        )
    )["Attributes"]
    redrive = json.loads(attributes.get("RedrivePolicy", "{}"))
    return QueueConfig(
        name=declared.name,
        url=url,
        dlq_url=dlq_url,
        visibility_timeout=int(attributes.get("VisibilityTimeout", declared.visibility_timeout)),
        max_receive_count=int(redrive.get("maxReceiveCount", declared.max_receive_count)),
    )
