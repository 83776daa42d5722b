"""Make the pictures of docs/reports.md: ``python docs/img/reports/make_images.py``."""

from __future__ import annotations

import subprocess
import tempfile
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from csimodels.plotting import figure_png
from csimodels.reports._demo import demo_report
from csimodels.reports._examples import example_result

HERE = Path(__file__).parent


def save(ax: object, name: str) -> None:
    fig = ax.figure if hasattr(ax, "figure") else ax  # type: ignore[attr-defined]
    (HERE / name).write_bytes(figure_png(fig, dpi=72))


def main() -> None:
    warnings.simplefilter("ignore")
    pls = example_result("PLSResult")
    save(pls.plot("paths", language="zh", labels="label"), "paths_zh.png")
    save(pls.plot("ipma", labels="label"), "ipma.png")
    save(
        example_result("SERVQUALResult").plot("radar", language="zh", labels="label"),
        "servqual_radar_zh.png",
    )
    save(example_result("SegmentedPLSResult").plot("ranking"), "ranking.png")
    save(example_result("PenaltyRewardResult").plot(), "penalty_reward.png")
    with tempfile.TemporaryDirectory() as tmp:
        pdf = demo_report("zh").write(Path(tmp) / "demo.pdf")[0]
        subprocess.run(
            ["pdftoppm", "-png", "-r", "50", "-f", "2", "-l", "2", str(pdf), str(HERE / "page")],
            check=True,
        )
        next(HERE.glob("page*.png")).rename(HERE / "report_page_zh.png")


if __name__ == "__main__":
    main()
