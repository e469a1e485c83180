"""The ``smsc-soap`` command."""
from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smsc-soap", description="SMSC SOAP client and local sandbox.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    from .sandbox import cli as sandbox_cli

    sandbox = commands.add_parser("sandbox", help="serve a local SMSC SOAP sandbox until interrupted")
    sandbox_cli.add_arguments(sandbox)
    sandbox.set_defaults(run=sandbox_cli.run)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
