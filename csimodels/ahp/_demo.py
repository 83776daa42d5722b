"""The AHP section of the ``csimodels demo`` report."""

from __future__ import annotations

from csimodels.ahp._model import AHP

__all__ = ["demo_section"]

SERVICE_JUDGMENTS: dict[tuple[str, str], float] = {
    ("Reliability", "Responsiveness"): 2,
    ("Reliability", "Assurance"): 3,
    ("Reliability", "Empathy"): 4,
    ("Reliability", "Tangibles"): 6,
    ("Responsiveness", "Assurance"): 2,
    ("Responsiveness", "Empathy"): 2,
    ("Responsiveness", "Tangibles"): 4,
    ("Assurance", "Empathy"): 1,
    ("Assurance", "Tangibles"): 3,
    ("Empathy", "Tangibles"): 2,
}
"""An illustrative panel's judgments on the five SERVQUAL dimensions (made up here)."""


def demo_section() -> str:
    """Weights of five service dimensions from one judgment matrix, with CR and repair.

    Examples
    --------
    >>> "Consistency ratio" in demo_section()
    True
    """
    res = AHP().fit(SERVICE_JUDGMENTS)
    lines = [
        "AHP: weighting the five SERVQUAL dimensions from a panel's pairwise judgments "
        "(Saaty 1-9 scale, principal eigenvector, RI table saaty_1980).",
        "",
        res.summary().as_text(),
    ]
    bad = dict(SERVICE_JUDGMENTS)
    bad[("Empathy", "Tangibles")] = 1 / 5  # one judgment entered the wrong way round
    rep = AHP().repair(bad)
    first = rep.changes.iloc[0] if len(rep.changes) else None
    worst = rep.original.diagnosis.iloc[0]
    lines.append(
        f"Consistency ratio {res.cr:.4f} (accepted at {res.threshold:.2f}). With "
        "(Empathy, Tangibles) entered as 1/5 instead of 2 the CR becomes "
        f"{rep.original.cr:.4f}; the diagnosis ranks ({worst['row']}, {worst['column']}) "
        "first"
        + (
            f" and the opt-in repair revises ({first['row']}, {first['column']}) "
            f"{first['old']:.3g} -> {first['new']:.3g}, CR {rep.repaired.cr:.4f}."
            if first is not None
            else "."
        )
    )
    return "\n".join(lines)
