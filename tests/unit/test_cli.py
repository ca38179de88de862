"""The `ecommerce` command: every subcommand explains itself, and `--version` answers."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from ecommerce.cli import build_parser, main


def subparsers(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield f"{parser.prog} {name}", child
                yield from subparsers(child)


def test_every_subcommand_has_a_description() -> None:
    found = dict(subparsers(build_parser()))
    assert {"ecommerce dev", "ecommerce dlq redrive", "ecommerce trace"} <= set(found)
    missing = [name for name, parser in found.items() if not (parser.description or "").strip()]
    assert missing == []


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("ecommerce 0.")


def test_dlq_redrive_has_a_dry_run() -> None:
    args = build_parser().parse_args(["dlq", "redrive", "payments", "--dry-run"])
    assert args.dry_run
