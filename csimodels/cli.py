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
    demo.add_argument(
        "--report",
        metavar="DIR",
        default=None,
        help="write the demo report (PDF, HTML, xlsx) to this directory instead of printing",
    )
    demo.add_argument(
        "--language", choices=("en", "zh"), default="en", help="language of the demo report"
    )
    report = sub.add_parser(
        "report", help="write reports (PDF, HTML, xlsx) from a survey file and a TOML config"
    )
    report.add_argument("survey", help="the survey: a .csv or .xlsx file")
    report.add_argument("--config", required=True, help="the report configuration (.toml)")
    report.add_argument("--by", default=None, help="one report per value of this column")
    report.add_argument("--out", required=True, help="directory for the files")
    report.add_argument(
        "--format",
        action="append",
        choices=("pdf", "html", "xlsx"),
        default=None,
        help="output format (repeatable; default the configuration's)",
    )
    return parser


def _report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from csimodels.errors import CSIModelsError
    from csimodels.reports import ReportConfig, build_report, write_reports

    try:
        cfg = ReportConfig.from_toml(args.config)
        by = args.by or cfg.by
        if by is not None:
            res = write_reports(args.survey, cfg, by=by, out=args.out, formats=args.format)
            for label, row in res.table.iterrows():
                state = (
                    row["status"]
                    if row["status"] == "written"
                    else (f"{row['status']}: {row['reason']}")
                )
                sys.stdout.write(f"{label}: {state}\n")
            for cover in res.cover:
                sys.stdout.write(f"cover: {cover}\n")
            return 0 if (res.table["status"] == "written").all() else 1
        folder = Path(args.out)
        folder.mkdir(parents=True, exist_ok=True)
        report = build_report(cfg.read_data(args.survey), cfg)
        for written in report.write(folder / "report", formats=args.format or cfg.formats):
            sys.stdout.write(f"{written}\n")
        return 0
    except (CSIModelsError, OSError) as err:
        sys.stderr.write(f"csimodels report: {err}\n")
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``csimodels`` console script.

    Examples
    --------
    >>> main(["demo", "--section", "Data description"])  # doctest: +SKIP
    """
    args = _parser().parse_args(argv)
    if args.command == "report":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # conditions are notes in the reports
            return _report(args)
    if args.command == "demo" and args.report is not None:
        from csimodels.reports._demo import write_demo_report

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            files = write_demo_report(args.report, language=args.language)
        sys.stdout.write("".join(f"{f}\n" for f in files))
        return 0
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
