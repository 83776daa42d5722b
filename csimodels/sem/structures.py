"""The published structures of the national satisfaction index models, as plain data.

Each structure lists its constructs (in causal order), its structural paths, default
item names for simulated surveys, and Chinese construct labels. The model presets
and the survey simulator both read these tables, so they cannot disagree.

References
----------
1. Fornell, C. (1992). A national customer satisfaction barometer: the Swedish
   experience. Journal of Marketing, 56(1), 6–21.  (SCSB / SCSI)
2. Fornell, C., Johnson, M. D., Anderson, E. W., Cha, J., & Bryant, B. E. (1996).
   The American Customer Satisfaction Index: nature, purpose, and findings.
   Journal of Marketing, 60(4), 7–18.  (ACSI)
3. Tenenhaus, M., Esposito Vinzi, V., Chatelin, Y.-M., & Lauro, C. (2005). PLS path
   modeling. Computational Statistics & Data Analysis, 48(1), 159–205.  (ECSI)
4. 清华大学中国企业研究中心 (2003). 中国顾客满意指数测评手册 (CCSI).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CSI_STRUCTURES", "CSIStructure"]


@dataclass(frozen=True)
class CSIStructure:
    """A published CSI model structure.

    Attributes
    ----------
    name : str
        Short name (``"acsi"``...).
    constructs : tuple of str
        Constructs in causal order.
    paths : tuple of (str, str)
        Structural paths ``(from, to)``.
    items : dict of construct to tuple of str
        Default item names used by the simulator.
    chinese_labels : dict of construct to str
        Chinese construct names.
    true_paths : dict of (str, str) to float
        Standardised path coefficients the simulator uses by default.
    citation : str

    Examples
    --------
    >>> CSI_STRUCTURES["scsi"].constructs
    ('Expectations', 'Value', 'Satisfaction', 'Complaints', 'Loyalty')
    """

    name: str
    constructs: tuple[str, ...]
    paths: tuple[tuple[str, str], ...]
    items: dict[str, tuple[str, ...]]
    chinese_labels: dict[str, str]
    true_paths: dict[tuple[str, str], float]
    citation: str


_LABELS = {
    "Image": "品牌形象",
    "Expectations": "顾客预期",
    "Expectation": "预期质量",
    "Quality": "感知质量",
    "Value": "感知价值",
    "Satisfaction": "顾客满意度",
    "Complaints": "顾客抱怨",
    "Loyalty": "顾客忠诚",
}


def _items(spec: dict[str, int], prefix: dict[str, str]) -> dict[str, tuple[str, ...]]:
    return {c: tuple(f"{prefix[c]}{i}" for i in range(1, k + 1)) for c, k in spec.items()}


_PREFIX = {
    "Image": "IMG",
    "Expectations": "EXP",
    "Expectation": "EXP",
    "Quality": "QUAL",
    "Value": "VAL",
    "Satisfaction": "SAT",
    "Complaints": "COMP",
    "Loyalty": "LOY",
}

_ACSI_PATHS = {
    ("Expectations", "Quality"): 0.55,
    ("Expectations", "Value"): 0.15,
    ("Expectations", "Satisfaction"): 0.10,
    ("Quality", "Value"): 0.55,
    ("Quality", "Satisfaction"): 0.45,
    ("Value", "Satisfaction"): 0.30,
    ("Satisfaction", "Complaints"): -0.45,
    ("Satisfaction", "Loyalty"): 0.60,
    ("Complaints", "Loyalty"): -0.15,
}
_SCSI_PATHS = {
    ("Expectations", "Value"): 0.45,
    ("Expectations", "Satisfaction"): 0.20,
    ("Value", "Satisfaction"): 0.55,
    ("Satisfaction", "Complaints"): -0.40,
    ("Satisfaction", "Loyalty"): 0.60,
    ("Complaints", "Loyalty"): -0.15,
}
_ECSI_PATHS = {
    ("Image", "Expectation"): 0.50,
    ("Image", "Satisfaction"): 0.20,
    ("Image", "Loyalty"): 0.20,
    ("Expectation", "Quality"): 0.55,
    ("Expectation", "Value"): 0.10,
    ("Expectation", "Satisfaction"): 0.05,
    ("Quality", "Value"): 0.55,
    ("Quality", "Satisfaction"): 0.45,
    ("Value", "Satisfaction"): 0.20,
    ("Satisfaction", "Complaints"): 0.50,
    ("Satisfaction", "Loyalty"): 0.45,
    ("Complaints", "Loyalty"): 0.10,
}
_CCSI_PATHS = {
    ("Image", "Expectation"): 0.50,
    ("Image", "Quality"): 0.30,
    ("Image", "Value"): 0.15,
    ("Image", "Satisfaction"): 0.15,
    ("Expectation", "Quality"): 0.35,
    ("Expectation", "Value"): 0.10,
    ("Expectation", "Satisfaction"): 0.05,
    ("Quality", "Value"): 0.45,
    ("Quality", "Satisfaction"): 0.40,
    ("Value", "Satisfaction"): 0.25,
    ("Satisfaction", "Loyalty"): 0.65,
}


def _structure(
    name: str,
    sizes: dict[str, int],
    true_paths: dict[tuple[str, str], float],
    citation: str,
) -> CSIStructure:
    constructs = tuple(sizes)
    return CSIStructure(
        name=name,
        constructs=constructs,
        paths=tuple(true_paths),
        items=_items(sizes, _PREFIX),
        chinese_labels={c: _LABELS[c] for c in constructs},
        true_paths=dict(true_paths),
        citation=citation,
    )


CSI_STRUCTURES: dict[str, CSIStructure] = {
    "acsi": _structure(
        "acsi",
        {
            "Expectations": 3,
            "Quality": 3,
            "Value": 2,
            "Satisfaction": 3,
            "Complaints": 1,
            "Loyalty": 2,
        },
        _ACSI_PATHS,
        "Fornell, Johnson, Anderson, Cha & Bryant (1996), Journal of Marketing 60(4), 7-18",
    ),
    "scsi": _structure(
        "scsi",
        {"Expectations": 2, "Value": 2, "Satisfaction": 3, "Complaints": 1, "Loyalty": 2},
        _SCSI_PATHS,
        "Fornell (1992), Journal of Marketing 56(1), 6-21",
    ),
    "ecsi": _structure(
        "ecsi",
        {
            "Image": 5,
            "Expectation": 3,
            "Quality": 7,
            "Value": 2,
            "Satisfaction": 3,
            "Complaints": 1,
            "Loyalty": 3,
        },
        _ECSI_PATHS,
        "Tenenhaus, Esposito Vinzi, Chatelin & Lauro (2005), CSDA 48(1), 159-205",
    ),
    "ccsi": _structure(
        "ccsi",
        {
            "Image": 3,
            "Expectation": 3,
            "Quality": 4,
            "Value": 2,
            "Satisfaction": 3,
            "Loyalty": 2,
        },
        _CCSI_PATHS,
        "Tsinghua University China Business Research Center (2003), CCSI handbook",
    ),
}
