"""The ``csimodels`` command line."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from csimodels._version import __version__

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="csimodels",
        description="Customer satisfaction measurement: CSI index models, SERVQUAL, Kano, "
        "AHP, fuzzy comprehensive evaluation.",
    )
    parser.add_argument("--version", action="version", version=f"csimodels {__version__}")
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="run the main analyses on the bundled example survey")
    demo.add_argument(
        "--section", action="append", default=None, help="only this section (repeatable)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``csimodels`` console script.

    Examples
    --------
    >>> main(["demo", "--section", "Data description"])  # doctest: +SKIP
    """
    args = _parser().parse_args(argv)
    if args.command == "demo":
        from csimodels.demo import run_demo

        with warnings.catch_warnings():
            # warnings are printed as notes inside each section's report
            warnings.simplefilter("ignore")
            text, ok = run_demo(args.section)
        sys.stdout.write(text)
        return 0 if ok else 1
    _parser().print_help()
    return 0
