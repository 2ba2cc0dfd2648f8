"""`solsignals decode [FILE|-]`: decode frames / transactions / log lines to JSON lines.

stdout: one JSON object per decoded event (``DecodedEvent.as_json()``).
stderr: one line per undecodable input (where and why), then a one-line summary.
Exit 0 when the input was read (even with some undecodable frames), 2 when it cannot be read.
"""

from __future__ import annotations

import argparse
import sys

import orjson

from core.decode import DecodeStats, FailureKind, decode_frame, split_input


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "decode",
        help="decode a logsNotification / getTransaction / log-line file to JSON events",
        description=(
            "Decode Pump.fun, PumpSwap and Raydium events from a JSON value or JSON lines: "
            "logsNotification messages, getTransaction responses or results, blockSubscribe "
            "transaction objects, or lists of log lines. Events go to stdout, problems to stderr."
        ),
    )
    parser.add_argument(
        "file", nargs="?", default="-", help="input file, or - (default) for standard input"
    )
    parser.set_defaults(func=run)


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def run(args: argparse.Namespace) -> int:
    path = getattr(args, "file", "-") or "-"
    try:
        text = _read(path)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        print(f"solsignals decode: cannot read {path}: {reason}", file=sys.stderr)
        return 2
    stats = DecodeStats()
    out = sys.stdout
    for item in split_input(text):
        if item.error is not None:
            stats.fail(FailureKind.BAD_FRAME, item.error)
            print(f"{item.where}: bad_frame: {item.error}", file=sys.stderr)
            continue
        failed_before = stats.failed
        for event in decode_frame(item.value, stats):
            out.write(orjson.dumps(event.as_json()).decode() + "\n")
        if stats.failed > failed_before:
            print(f"{item.where}: {stats.last_failure}", file=sys.stderr)
    errors = ", ".join(f"{kind} {n}" for kind, n in sorted(stats.failures.items())) or "none"
    print(f"decoded {stats.decoded} events; errors: {errors}", file=sys.stderr)
    out.flush()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="solsignals")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["decode", *sys.argv[1:]])
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
