"""The SNS+SQS emulator's memory over many messages, with and without `moto_fixes`.

    python -m bench.emulator_memory [--messages 20000]

For each of "fixed" (the stack's emulator) and "as released" (`ECOMMERCE_MOTO_FIXES=0`): start
the SNS+SQS emulator, subscribe a queue to a topic (raw delivery, as the stack does), then
publish saga-sized events ten at a time (PublishBatch), receive them ten at a time and delete
them in batches, as the workers do; the emulator's resident memory is sampled every 2,000
messages once the queue is drained. The growth per 1,000 messages after the first sample is
what the emulator keeps of messages it no longer holds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import machine, now_iso, output_options, publish, say
from bench.stack import rss_bytes
from ecommerce.devstack.environment import aws_environment, aws_variables_to_drop
from ecommerce.devstack.moto_main import FIXES_SWITCH
from ecommerce.devstack.moto_server import start_moto
from ecommerce.platform.aws import AwsClients

SAMPLE_EVERY = 2000
BODY = "x" * 1200  # about an OrderPlaced envelope


async def run(label: str, messages: int, fixes: bool) -> dict[str, Any]:
    os.environ[FIXES_SWITCH] = "1" if fixes else "0"
    with tempfile.TemporaryDirectory(prefix="bench-emulator-") as folder:
        server = await start_moto(Path(folder) / "moto.log")
        try:
            return await drive(label, server.url, server.pid, messages)
        finally:
            await server.stop()


async def drive(label: str, url: str, pid: int, messages: int) -> dict[str, Any]:
    for name in aws_variables_to_drop(embedded=True):
        os.environ.pop(name, None)
    os.environ.update(aws_environment(os.environ, url, embedded=True))
    clients = AwsClients(os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    try:
        sns, sqs = await clients.client("sns"), await clients.client("sqs")
        topic = (await sns.create_topic(Name="memory"))["TopicArn"]
        queue = (await sqs.create_queue(QueueName="memory"))["QueueUrl"]
        arn = (await sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"]))[
            "Attributes"
        ]["QueueArn"]
        await sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        samples: list[dict[str, float]] = []
        done = 0
        while done < messages:
            for start in range(0, SAMPLE_EVERY, 10):
                entries: Any = [
                    {"Id": str(n), "Message": f"{done + start + n}:{BODY}"} for n in range(10)
                ]
                await sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
                got = (await sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)).get(
                    "Messages", []
                )
                if got:
                    await sqs.delete_message_batch(
                        QueueUrl=queue,
                        Entries=[
                            {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                            for n, m in enumerate(got)
                        ],
                    )
            while got := (await sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)).get(
                "Messages", []
            ):
                await sqs.delete_message_batch(
                    QueueUrl=queue,
                    Entries=[
                        {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                        for n, m in enumerate(got)
                    ],
                )
            done += SAMPLE_EVERY
            samples.append({"messages": done, "rss_mb": round(rss_bytes(pid) / 2**20, 1)})
            say(f"  {label}: {done} messages, emulator {samples[-1]['rss_mb']} MB")
    finally:
        await clients.close()
    first, last = samples[0], samples[-1]
    growth = (
        (last["rss_mb"] - first["rss_mb"]) * 1000 / max(1, last["messages"] - first["messages"])
    )
    return {"samples": samples, "mb_per_1000_messages": round(growth, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    output_options(parser)
    args = parser.parse_args(argv)
    result: dict[str, Any] = {
        "benchmark": "emulator_memory",
        "date": now_iso(),
        "command": "python -m bench.emulator_memory " + " ".join(sys.argv[1:]),
        "machine": machine(),
        "runs": {},
    }
    for label, fixes in (("fixed", True), ("as released", False)):
        result["runs"][label] = asyncio.run(run(label, args.messages, fixes))
    lines = ["emulator memory (SNS+SQS), MB per 1,000 messages after the first sample:"]
    for label, found in result["runs"].items():
        lines.append(f"  {label:12} {found['mb_per_1000_messages']:7.3f}  {found['samples']}")
    return publish("emulator-memory", result, "\n".join(lines), args)


if __name__ == "__main__":
    sys.exit(main())
