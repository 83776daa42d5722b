"""Constants of the Kano method: answers, categories, evaluation tables, labels, scores.

Everything here is plain data (tuples, dicts of str and numbers), shared by the model,
the engine and the simulator.
"""

from __future__ import annotations

import re
import unicodedata
from types import MappingProxyType
from typing import Final

__all__ = [
    "ANSWERS",
    "CATEGORIES",
    "CATEGORY_NAMES",
    "CONTINUOUS_SCORES",
    "KANO_LABELS",
    "KANO_TABLES",
    "TIE_PRIORITY",
    "normalise_label",
]

ANSWERS: Final[tuple[str, ...]] = ("like", "must-be", "neutral", "live-with", "dislike")
"""The five answer options, in the order of the evaluation table's rows and columns."""

CATEGORIES: Final[tuple[str, ...]] = ("A", "O", "M", "I", "R", "Q")
"""Kano categories: Attractive, One-dimensional, Must-be, Indifferent, Reverse, Questionable."""

CATEGORY_NAMES: Final[MappingProxyType[str, str]] = MappingProxyType(
    {
        "A": "Attractive",
        "O": "One-dimensional",
        "M": "Must-be",
        "I": "Indifferent",
        "R": "Reverse",
        "Q": "Questionable",
    }
)

TIE_PRIORITY: Final[tuple[str, ...]] = ("M", "O", "A", "I", "R", "Q")
"""Order used to break ties and near-ties: M > O > A > I (then R, then Q)."""

# Berger et al. (1993), table 1 (the evaluation table of Kano et al. 1984 in the form
# used by the Center for Quality of Management): rows = functional answer, columns =
# dysfunctional answer, both in the order Like, Must-be, Neutral, Live-with, Dislike.
_BERGER_1993: tuple[tuple[str, ...], ...] = (
    ("Q", "A", "A", "A", "O"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "R", "R", "R", "Q"),
)

KANO_TABLES: Final[MappingProxyType[str, tuple[tuple[str, ...], ...]]] = MappingProxyType(
    {"berger1993": _BERGER_1993}
)
"""Named evaluation tables: 5 x 5 category letters, rows functional, columns dysfunctional."""

# DuMouchel's scores for the continuous analysis (Berger et al. 1993, section 5),
# in the order of ANSWERS.
CONTINUOUS_SCORES: Final[MappingProxyType[str, tuple[float, ...]]] = MappingProxyType(
    {
        "functional": (4.0, 2.0, 0.0, -1.0, -2.0),
        "dysfunctional": (-2.0, -1.0, 0.0, 2.0, 4.0),
    }
)

KANO_LABELS: Final[MappingProxyType[str, MappingProxyType[str, str]]] = MappingProxyType(
    {
        "english": MappingProxyType(
            {
                "Like": "like",
                "I like it": "like",
                "I like it that way": "like",
                "Must-be": "must-be",
                "Must be": "must-be",
                "I expect it": "must-be",
                "It must be that way": "must-be",
                "Neutral": "neutral",
                "I am neutral": "neutral",
                "I'm neutral": "neutral",
                "Live-with": "live-with",
                "Live with": "live-with",
                "I can live with it": "live-with",
                "I can live with it that way": "live-with",
                "I can tolerate it": "live-with",
                "Dislike": "dislike",
                "I dislike it": "dislike",
                "I dislike it that way": "dislike",
            }
        ),
        "chinese": MappingProxyType(
            {
                "喜欢": "like",
                "我很喜欢": "like",
                "理所当然": "must-be",
                "理应如此": "must-be",
                "必须这样": "must-be",
                "无所谓": "neutral",
                "能忍受": "live-with",
                "可以忍受": "live-with",
                "我能忍受": "live-with",
                "不喜欢": "dislike",
                "我很不喜欢": "dislike",
            }
        ),
    }
)
"""Built-in answer label sets (matched after :func:`normalise_label`)."""

_SPACES = re.compile(r"[\s\-_]+")


def normalise_label(label: str) -> str:
    """Normalise an answer label for matching: NFKC, case-folded, '-'/'_' as spaces.

    Examples
    --------
    >>> normalise_label("  Must-Be ")
    'must be'
    >>> normalise_label("喜欢。")
    '喜欢'
    """
    text = unicodedata.normalize("NFKC", label).casefold()
    text = _SPACES.sub(" ", text).strip()
    return text.rstrip(".!。！").strip()
