"""What was done to the answers before they were analysed: the preparation record.

A :class:`~csimodels.data.survey.SurveyData` keeps, in ``steps``, one
:class:`DataStep` per preparation that changed its answers or its respondents:
missing-value codes turned into missing answers, reverse-coded items, respondents
excluded by a screening or by a subset with a stated reason. ``describe()`` carries
the record into its result, and the report's data section states it, so that a
reader of the report knows the sample the numbers rest on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import ConfigDict, Field

from csimodels._pydantic import NoLegacyAPI
from csimodels.data.scale import _Validated

__all__ = ["DataStep", "describe_steps"]

StepKind = Literal["missing_codes", "reverse", "screening", "subset"]
Language = Literal["en", "zh"]

_RULES_ZH = {
    "too_many_missing": "缺失过多",
    "straight_lining": "直线作答",
    "long_string": "长串相同作答",
    "low_variability": "作答变异过低",
    "speeder": "作答过快",
    "duplicate": "重复作答",
    "near_duplicate": "近似重复",
    "outlier": "离群作答",
}


class DataStep(NoLegacyAPI, _Validated):
    """One preparation step of a survey's answers.

    Attributes
    ----------
    kind : {"missing_codes", "reverse", "screening", "subset"}
        What was done.
    n_before, n_after : int
        Respondents before and after the step.
    counts : dict of str to int
        ``missing_codes``: ``{"answers": recoded answers}``; ``screening``:
        excluded respondents by rule (a respondent flagged by two rules counts
        under both).
    items : tuple of str
        The items concerned (``reverse``, ``missing_codes``).
    reason : str
        The caller's reason for a ``subset``.

    Examples
    --------
    >>> step = DataStep(kind="screening", n_before=120, n_after=112,
    ...                 counts={"speeder": 5, "straight_lining": 3})
    >>> step.describe()
    'screening excluded 8 of 120 respondents (speeder 5, straight_lining 3)'
    >>> step.describe("zh")
    '筛查剔除了 120 位受访者中的 8 位（作答过快 5，直线作答 3）'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: StepKind
    n_before: int = Field(ge=0)
    n_after: int = Field(ge=0)
    counts: dict[str, int] = Field(default_factory=dict)
    items: tuple[str, ...] = ()
    reason: str = ""

    def describe(self, language: Language = "en") -> str:
        """One sentence in English or Chinese."""
        zh = language == "zh"
        dropped = self.n_before - self.n_after
        items = ", ".join(self.items[:8]) + (" …" if len(self.items) > 8 else "")
        if self.kind == "missing_codes":
            n = self.counts.get("answers", 0)
            if zh:
                return f"{n:,} 个作答为缺失值代码，已记为缺失（{items}）"
            return f"{n:,} answers with a missing-value code set to missing ({items})"
        if self.kind == "reverse":
            if zh:
                return f"反向题已重新编码：{items}"
            return f"reverse-coded items recoded: {items}"
        if self.kind == "screening":
            if dropped == 0:
                if zh:
                    return f"筛查未剔除任何受访者（共 {self.n_before:,} 位）"
                return f"screening excluded none of the {self.n_before:,} respondents"
            if zh:
                rules = "，".join(f"{_RULES_ZH.get(k, k)} {v:,}" for k, v in self.counts.items())
                return f"筛查剔除了 {self.n_before:,} 位受访者中的 {dropped:,} 位" + (
                    f"（{rules}）" if rules else ""
                )
            rules = ", ".join(f"{k} {v:,}" for k, v in self.counts.items())
            return f"screening excluded {dropped:,} of {self.n_before:,} respondents" + (
                f" ({rules})" if rules else ""
            )
        if zh:
            return f"保留 {self.n_before:,} 位受访者中的 {self.n_after:,} 位：{self.reason}"
        return f"kept {self.n_after:,} of {self.n_before:,} respondents: {self.reason}"


def describe_steps(
    steps: tuple[DataStep, ...] | list[Mapping[str, object]], language: Language = "en"
) -> list[str]:
    """Sentences for a preparation record (steps, or their JSON form in a result).

    Examples
    --------
    >>> describe_steps([{"kind": "reverse", "n_before": 5, "n_after": 5, "items": ["Q3"]}])
    ['reverse-coded items recoded: Q3']
    """
    out = []
    for step in steps:
        record = step if isinstance(step, DataStep) else DataStep(**dict(step))
        out.append(record.describe(language))
    return out
