"""The ``csimodels demo`` report: the main job run on the bundled example surveys.

Each method family contributes one section: a function returning text. The report is
built from :data:`DEMO_SECTIONS` in order; a section that fails is reported as such
and the exit status says so.
"""

from __future__ import annotations

from collections.abc import Callable

import csimodels as csi

__all__ = ["DEMO_SECTIONS", "run_demo"]


def _data_section() -> str:
    data = csi.datasets.load_example("acsi_demo")
    desc = data.describe()
    shares = data.missing_shares()
    lines = [
        "Example survey 'acsi_demo': " + csi.datasets.EXAMPLES["acsi_demo"],
        f"Segments: {' > '.join(data.segments)}; period column: {data.period}; "
        f"weight column: {data.weight}",
        f"Missing answers (code 99 -> NaN): {shares.mean():.1%} of cells on average",
        "",
        desc.summary().as_text(),
    ]
    return "\n".join(lines)


def _lazy(module: str) -> Callable[[], str]:
    def build() -> str:
        from importlib import import_module

        section: Callable[[], str] = import_module(module).demo_section
        return section()

    return build


DEMO_SECTIONS: list[tuple[str, Callable[[], str]]] = [
    ("Data description", _data_section),
    ("CSI index model (ACSI by PLS)", _lazy("csimodels.sem._demo")),
    ("Comparing two regions (MICOM, permutation test, PLS-MGA)", _lazy("csimodels.sem.mga")),
    ("CSI index model by CB-SEM (ACSI)", _lazy("csimodels.sem.cbsem")),
    ("Checking the questionnaire (KMO, EFA, reliability)", _lazy("csimodels.explore._demo")),
    ("What to fix first", _lazy("csimodels.importance")),
    ("The least-cost improvement plan", _lazy("csimodels.planning._demo")),
    ("Trend monitoring and early warning", _lazy("csimodels.trends._demo")),
    ("SERVQUAL", _lazy("csimodels.servqual")),
    ("Kano classification", _lazy("csimodels.kano")),
    ("AHP weighting", _lazy("csimodels.ahp")),
    ("Fuzzy comprehensive evaluation", _lazy("csimodels.fce")),
    ("Customer retention and churn", _lazy("csimodels.events._demo")),
]


def run_demo(sections: list[str] | None = None) -> tuple[str, bool]:
    """Build the demo report; returns ``(text, all_sections_ok)``.

    Examples
    --------
    >>> text, ok = run_demo(["Data description"])
    >>> ok and "Survey description" in text
    True
    """
    parts = [f"csimodels {csi.__version__} demo", ""]
    ok = True
    for title, build in DEMO_SECTIONS:
        if sections is not None and title not in sections:
            continue
        parts.append(f"## {title}")
        parts.append("")
        try:
            parts.append(build())
        except Exception as err:  # a broken section must not hide the others
            ok = False
            parts.append(f"(section failed: {type(err).__name__}: {err})")
        parts.append("")
    return "\n".join(parts), ok
