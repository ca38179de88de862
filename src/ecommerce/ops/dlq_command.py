"""`ecommerce dlq list | show QUEUE | redrive QUEUE`: the dead-letter queues of every worker.

    ecommerce dlq list                      each DLQ and how many messages it holds
    ecommerce dlq show payments [--limit N] its messages: receives, why they failed, the event
    ecommerce dlq redrive payments          move them back to the payments queue
    ecommerce dlq redrive payments --dry-run  what it would move, moving nothing

QUEUE is a declared queue (`payments`), its DLQ (`payments-dlq`) or either physical name.
The endpoint is `--endpoint-url`, else `AWS_ENDPOINT_URL`, else the running dev stack's
(`make run`); `--aws` uses the SDK's own endpoints and credentials (a real account).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)

from ecommerce.ops.dlq import (
    DeadLetter,
    DlqRow,
    Method,
    RedriveError,
    RedriveResult,
    UnknownQueue,
    find_declared,
    list_dlqs,
    peek,
    queue_depth,
    redrive,
    resolve_pair,
)
from ecommerce.ops.target import AwsTarget, NoEndpoint, resolve_target
from ecommerce.platform.aws import AwsClients

HELP = "dead-letter queues: list their depths, show their messages, redrive them"
DEFAULT_REGION = "us-east-1"
DRY_RUN_SHOWN = 10
"""How many of the messages a dry run lists."""
MAX_BODY_SHOWN = 4000
"""Characters of a body `show --body` prints; `--json` prints it whole."""


def configure(parser: argparse.ArgumentParser) -> None:
    common = argparse.ArgumentParser(add_help=False)
    where = common.add_argument_group("endpoint")
    where.add_argument(
        "--endpoint-url",
        default=None,
        help="AWS endpoint (default: $AWS_ENDPOINT_URL, else the dev stack's)",
    )
    where.add_argument(
        "--aws",
        action="store_true",
        help="use the SDK's own AWS endpoints and credential chain (a real account)",
    )
    commands = parser.add_subparsers(dest="dlq_command", required=True, metavar="ACTION")

    listing = commands.add_parser(
        "list",
        parents=[common],
        help="each declared queue's DLQ with its depth",
        description="List each declared queue's DLQ with how many messages it holds (visible "
        "and in flight).",
    )
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")

    show = commands.add_parser(
        "show",
        parents=[common],
        help="a DLQ's messages, each with its receives and reason",
        description="Show a DLQ's messages without consuming them: when each was sent, how many "
        "times it was received, why it failed, and the event it carries.",
    )
    show.add_argument("queue", metavar="QUEUE", help="e.g. payments or payments-dlq")
    show.add_argument(
        "--limit", type=_positive, default=10, help="at most this many messages (default 10)"
    )
    show.add_argument("--body", action="store_true", help="print each message's body too")
    show.add_argument("--json", action="store_true", help="print JSON lines instead")

    move = commands.add_parser(
        "redrive",
        parents=[common],
        help="move a DLQ's messages back to the source queue",
        description="Move a DLQ's messages back to the queue they came from, where the worker "
        "takes them again. With --dry-run, show what would move and move nothing.",
    )
    move.add_argument("queue", metavar="QUEUE", help="e.g. payments or payments-dlq")
    move.add_argument(
        "--method",
        choices=("auto", "move-task", "manual"),
        default="auto",
        help="move-task: SQS StartMessageMoveTask; manual: receive, send, delete; "
        "auto (default): the move task where the endpoint has it",
    )
    move.add_argument(
        "--limit", type=_positive, default=None, help="move at most this many (implies manual)"
    )
    move.add_argument(
        "--dry-run",
        action="store_true",
        help="show how many messages would move, and the first of them; move nothing",
    )


def run(args: argparse.Namespace) -> int:
    try:
        target = resolve_target(os.environ, endpoint_url=args.endpoint_url, use_aws=args.aws)
        queue = find_declared(args.queue) if hasattr(args, "queue") else None
    except (NoEndpoint, UnknownQueue) as error:
        _error(str(error))
        return 2
    target.apply()
    _note(f"endpoint {target.describe()}")
    try:
        return asyncio.run(_run(args, target, queue.name if queue else None))
    except EndpointConnectionError:
        _error(f"cannot reach {target.describe()}: {_hint(target)}")
    except (NoCredentialsError, NoRegionError) as error:
        _error(f"{error}; set the AWS_* variables, or use --endpoint-url / the dev stack")
    except ClientError as error:
        _error(_client_error(error))
    except RedriveError as error:
        _error(str(error))
    except KeyboardInterrupt:
        _error("interrupted (messages being looked at or moved reappear in their DLQ)")
        return 130
    return 1


async def _run(args: argparse.Namespace, target: AwsTarget, queue: str | None) -> int:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    clients = AwsClients(region or DEFAULT_REGION, pool_size=10)
    try:
        sqs = await clients.client("sqs")
        if args.dlq_command == "list":
            rows = await list_dlqs(sqs)
            print(render_json_rows(rows) if args.json else render_rows(rows))
            return 0 if all(row.depth is not None for row in rows) else 1
        assert queue is not None
        pair = await resolve_pair(sqs, find_declared(queue))
        if args.dlq_command == "show":
            depth = await queue_depth(sqs, pair.dlq_url)
            messages = await peek(sqs, pair.dlq_url, limit=args.limit)
            if args.json:
                for message in messages:
                    print(json.dumps(message.as_dict()))
            else:
                print(render_messages(pair.dlq_name, depth.total, messages, body=args.body))
            return 0
        if args.dry_run:
            depth = await queue_depth(sqs, pair.dlq_url)
            shown = min(args.limit or DRY_RUN_SHOWN, DRY_RUN_SHOWN)
            messages = await peek(sqs, pair.dlq_url, limit=shown)
            print(
                render_dry_run(pair.dlq_name, pair.source_name, depth.total, args.limit, messages)
            )
            return 0
        method: Method = args.method
        result = await redrive(sqs, pair, method=method, limit=args.limit, progress=_progress)
        print(render_result(pair.dlq_name, pair.source_name, result))
        return 0 if result.failed == 0 else 1
    finally:
        await clients.close()


# --- rendering (pure) ----------------------------------------------------------------------


def table(headings: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    widths = [max(len(text) for text in column) for column in zip(headings, *rows, strict=False)]
    lines = []
    for line in (headings, *rows):
        cells = [
            text.rjust(width) if index in right else text.ljust(width)
            for index, (text, width) in enumerate(zip(line, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def render_rows(rows: Sequence[DlqRow]) -> str:
    cells = [
        (
            row.queue,
            row.dlq,
            str(row.depth.visible) if row.depth else "-",
            str(row.depth.in_flight) if row.depth else "-",
            str(row.depth.total) if row.depth else (row.problem or "-"),
        )
        for row in rows
    ]
    text = table(("QUEUE", "DLQ", "VISIBLE", "IN FLIGHT", "DEPTH"), cells, right={2, 3, 4})
    total = sum(row.depth.total for row in rows if row.depth)
    return f"{text}\n\n{total} dead-lettered message(s) in {len(rows)} DLQ(s)"


def render_json_rows(rows: Sequence[DlqRow]) -> str:
    document = [
        {
            "queue": row.queue,
            "dlq": row.dlq,
            "visible": row.depth.visible if row.depth else None,
            "in_flight": row.depth.in_flight if row.depth else None,
            "depth": row.depth.total if row.depth else None,
            "problem": row.problem,
        }
        for row in rows
    ]
    return json.dumps(document, indent=2)


def render_messages(
    dlq: str, depth: int, messages: Sequence[DeadLetter], *, body: bool = False
) -> str:
    if not messages:
        return f"{dlq}: empty" if depth == 0 else f"{dlq}: {depth} message(s), none visible now"
    lines = [f"{dlq}: {depth} message(s), showing {len(messages)}", ""]
    for number, message in enumerate(messages, start=1):
        sent = message.sent_at.strftime("%Y-%m-%d %H:%M:%SZ") if message.sent_at else "?"
        lines.append(
            f"{number}. message {printable(message.message_id)}  sent {sent}  "
            f"receives {message.receives}"
        )
        lines.append(f"   reason   {printable(message.reason)}")
        if message.event_type or message.event_id:
            version = f" v{message.event_version}" if message.event_version else ""
            event = f"{message.event_type or '?'}{version}  id {message.event_id or '?'}"
            if message.correlation_id:
                event += f"  order {message.correlation_id}"
            lines.append(f"   event    {printable(event)}")
        else:
            lines.append("   event    (body is not an event envelope)")
        if body:
            lines.append(f"   body     {printable(message.body, MAX_BODY_SHOWN)}")
        lines.append("")
    return "\n".join(lines).rstrip()


def render_dry_run(
    dlq: str, source: str, depth: int, limit: int | None, messages: Sequence[DeadLetter]
) -> str:
    """What `redrive --dry-run` prints: how many would move, and the first of them."""
    count = depth if limit is None else min(depth, limit)
    text = f"dry run: would redrive {count} message(s) from {dlq} to {source}; nothing moved"
    if not messages:
        return text
    return text + "\n\n" + render_messages(dlq, depth, messages)


def printable(text: str, limit: int = 1000) -> str:
    """`text` safe for a terminal: one line, control characters escaped, cut at `limit`.

    A DLQ holds whatever was sent: escape sequences, newlines or a quarter megabyte of text
    must not garble the table or the terminal."""
    shown = text[:limit]
    escaped = "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in shown
    )
    if len(text) > limit:
        escaped += f"... ({len(text)} characters in all; --json shows everything)"
    return escaped


def render_result(dlq: str, source: str, result: RedriveResult) -> str:
    how = "message move task" if result.method == "move-task" else "receive, send, delete"
    text = f"redrove {result.moved} message(s) from {dlq} to {source} ({how})"
    if result.failed:
        text += f"; {result.failed} could not be sent and are still in {dlq}"
    if result.undeleted:
        text += (
            f"; {result.undeleted} were sent but could not be deleted from {dlq} "
            "(they are in both queues: a second redrive would deliver them twice)"
        )
    return text


# --- helpers -------------------------------------------------------------------------------


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _note(line: str) -> None:
    print(f"ecommerce dlq: {line}", file=sys.stderr, flush=True)


def _error(line: str) -> None:
    print(f"ecommerce dlq: {line}", file=sys.stderr, flush=True)


def _hint(target: AwsTarget) -> str:
    if target.source.startswith("dev stack"):
        return "the dev stack's file is there but its emulator does not answer; is `make run` up?"
    return "is it running?"


def _client_error(error: ClientError) -> str:
    details: Mapping[str, Any] = error.response.get("Error", {})
    code = str(details.get("Code", ""))
    if code in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
        return (
            f"{error.operation_name}: the queue does not exist at this endpoint "
            "(is it provisioned, with this ECOMMERCE_PREFIX?)"
        )
    return f"{error.operation_name} failed: {code} {details.get('Message', '')}".rstrip()
