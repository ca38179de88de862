"""`ecommerce trace ORDER_ID`: one order's trace, as the local stack recorded it, as a tree."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys

from ecommerce.devstack.state import StateDir
from ecommerce.ops.traces import (
    build_trees,
    order_trace_ids,
    read_segments,
    render,
    service_names,
)

HELP = (
    "print an order's X-Ray trace from the local stack as a tree: each service, worker, relay, "
    "AWS and HTTP call with its start, duration and outcome"
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("order_id", help="the order's id, as POST /orders returned it")


def run(args: argparse.Namespace) -> int:
    state = StateDir.from_env()
    documents = read_segments(state.segments_file)
    if not documents:
        print(
            f"no traces in {state.segments_file}: is `ecommerce dev` running here?",
            file=sys.stderr,
        )
        return 1
    trace_ids = order_trace_ids(documents, args.order_id)
    if not trace_ids:
        print(f"no trace mentions order {args.order_id}", file=sys.stderr)
        return 1
    names = {}
    with contextlib.suppress(OSError, ValueError):
        names = service_names(json.loads(state.stack_file.read_text()))
    print("\n".join(render(build_trees(documents, trace_ids, names), args.order_id)))
    return 0
