"""The `ecommerce` command. Each subcommand lives in its own module, which provides
`HELP: str`, `configure(parser)` and `run(args) -> int`; adding one is one line in COMMANDS."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import cast

COMMANDS: dict[str, str] = {
    "audit": "ecommerce.ops.audit_command",
    "dev": "ecommerce.devstack.command",
    "dlq": "ecommerce.ops.dlq_command",
    "migrate": "ecommerce.ops.migrate_command",
    "payments": "ecommerce.ops.payments_command",
    "trace": "ecommerce.devstack.trace_command",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ecommerce", description="Event-driven e-commerce backend"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        help_text = str(module.HELP)
        subparser = subcommands.add_parser(name, help=help_text, description=help_text)
        module.configure(subparser)
        subparser.set_defaults(run=module.run)
    return parser


def _version() -> str:
    try:
        return version("ecommerce")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        run = cast(Callable[[argparse.Namespace], int], args.run)
        return run(args)
    except KeyboardInterrupt:  # Ctrl-C before a command installed its own handling
        return 130


if __name__ == "__main__":
    sys.exit(main())
