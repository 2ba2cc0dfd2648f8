"""`solsignals` console script: one sub-command per module in core/cli/."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from core.cli import decode_cmd, demo_cmd, migrate_cmd, run_cmd, wallets_cmd
from core.errors import ConfigError
from core.log import configure_logging


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="solsignals",
        description="Real-time Solana memecoin signals: ingestion, decoding, storage.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    commands = {
        "demo": demo_cmd,
        "run": run_cmd,
        "migrate": migrate_cmd,
        "decode": decode_cmd,
        "wallets": wallets_cmd,
    }
    for name, module in commands.items():
        module.add_parser(subparsers)
        subparsers.choices[name].set_defaults(func=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Logs go to stderr from the first line on; `run` re-configures from its settings.
    configure_logging("warning", "console")
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"solsignals: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
