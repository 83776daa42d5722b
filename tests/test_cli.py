"""The command line: --version and the demo report."""

from __future__ import annotations

import subprocess
import sys

import csimodels as csi
from csimodels.cli import main
from csimodels.demo import DEMO_SECTIONS, run_demo


def test_version_flag() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "csimodels", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert out.stdout.strip() == f"csimodels {csi.__version__}"


def test_demo_runs_every_section(capsys: object) -> None:
    assert main(["demo"]) == 0
    text = capsys.readouterr().out  # type: ignore[attr-defined]
    for title, _ in DEMO_SECTIONS:
        assert f"## {title}" in text
    assert "section failed" not in text
    # the data section describes the bundled example with its Chinese labels
    assert "顾客满意度" in text


def test_demo_reports_a_failing_section() -> None:
    def broken() -> str:
        raise RuntimeError("boom")

    DEMO_SECTIONS.append(("Broken", broken))
    try:
        text, ok = run_demo(["Broken"])
    finally:
        DEMO_SECTIONS.pop()
    assert not ok
    assert "section failed: RuntimeError: boom" in text


def test_import_is_light() -> None:
    code = (
        "import sys, csimodels; "
        "heavy = [m for m in ('semopy', 'matplotlib', 'dask', 'seminr') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
