"""SERVQUAL instruments as data: dimensions, items, labels, reverse-scored items.

An :class:`Instrument` says which items make up which service-quality dimension,
how they are labelled (any language), which are negatively worded and must be
reverse-scored, and how the survey's columns are named (``E1..E22``, ``P1..P22``).
The two published item banks are built in (:data:`SERVQUAL_1988`,
:data:`SERVQUAL_1991`) and registered in :data:`INSTRUMENTS`; any other instrument
(other dimensions, other item counts, Chinese labels) is declared the same way.

References
----------
1. Parasuraman, A., Zeithaml, V. A., & Berry, L. L. (1988). SERVQUAL: a multiple-item
   scale for measuring consumer perceptions of service quality. Journal of Retailing,
   64(1), 12–40.
2. Parasuraman, A., Berry, L. L., & Zeithaml, V. A. (1991). Refinement and reassessment
   of the SERVQUAL scale. Journal of Retailing, 67(4), 420–450.
"""

from __future__ import annotations

import string
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from csimodels._pydantic import Replaceable
from csimodels.errors import SpecificationError, format_offenders

__all__ = ["INSTRUMENTS", "SERVQUAL_1988", "SERVQUAL_1991", "Instrument", "resolve_instrument"]


class Instrument(Replaceable, BaseModel):
    """A service-quality questionnaire: dimensions, their items, labels and wording.

    Attributes
    ----------
    name : str
        Short name (``"servqual_1991"``).
    dimensions : dict of str to tuple of str
        Dimension name to its item identifiers, in questionnaire order. Every
        dimension needs at least one item; an item belongs to one dimension only.
    dimension_labels : dict of str to str
        Human labels of dimensions in any language (``{"Tangibles": "有形性"}``).
    item_labels : dict of str to str
        Human labels (or the wording) of items.
    reverse_scored : tuple of str
        Negatively worded items: their answers ``x`` are scored ``min + max − x``
        on both the expectation and the perception battery before any gap is taken.
    column_pattern : str
        How a survey column is named from a battery code and an item identifier,
        with the placeholders ``{battery}`` and ``{item}``: the default
        ``"{battery}{item}"`` gives ``E1``, ``P1``, ``D1``, ``A1``.
    citation : str
        Where the instrument was published.

    Raises
    ------
    SpecificationError
        A dimension with no items, an item in two dimensions, labels or reverse-scored
        items that name unknown items or dimensions, a column pattern without
        ``{battery}`` and ``{item}``.

    Examples
    --------
    >>> inst = Instrument(name="bank", dimensions={"Staff": ("s1", "s2"), "Speed": ("v1",)},
    ...                   dimension_labels={"Staff": "员工", "Speed": "速度"},
    ...                   reverse_scored=("s2",), column_pattern="{battery}_{item}")
    >>> inst.items
    ('s1', 's2', 'v1')
    >>> inst.column("P", "s2"), inst.dimension_of("v1"), inst.label_of_dimension("Staff")
    ('P_s2', 'Speed', '员工')
    >>> inst.replace(dimension_labels={"Staf": "员工"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    csimodels.errors.SpecificationError: ...'Staf'...
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    dimensions: dict[str, tuple[str, ...]]
    dimension_labels: dict[str, str] = {}
    item_labels: dict[str, str] = {}
    reverse_scored: tuple[str, ...] = ()
    column_pattern: str = "{battery}{item}"
    citation: str = ""

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as err:
            raise SpecificationError(f"Instrument: {describe_validation_error(err)}") from err
        _check_instrument(self)

    @property
    def items(self) -> tuple[str, ...]:
        """All item identifiers, dimension by dimension."""
        return tuple(i for members in self.dimensions.values() for i in members)

    def dimension_of(self, item: str) -> str:
        """The dimension an item belongs to."""
        for dim, members in self.dimensions.items():
            if item in members:
                return dim
        raise SpecificationError(
            f"item {item!r} is not in instrument {self.name!r}; its items are "
            f"{format_offenders(list(self.items))}"
        )

    def label_of_dimension(self, dimension: str) -> str:
        """The human label of a dimension (its name when none is declared)."""
        return self.dimension_labels.get(dimension, dimension)

    def label_of_item(self, item: str) -> str:
        """The human label of an item (its identifier when none is declared)."""
        return self.item_labels.get(item, item)

    def column(self, battery: str, item: str) -> str:
        """The survey column holding ``battery``'s answer to ``item``."""
        return self.column_pattern.format(battery=battery, item=item)

    def columns(self, battery: str) -> list[str]:
        """The columns of one battery (``"E"`` → ``["E1", ..., "E22"]``), item order."""
        return [self.column(battery, i) for i in self.items]


def describe_validation_error(err: ValidationError) -> str:
    """One line per pydantic error: ``field: problem (got value)``."""
    parts = [
        f"{'.'.join(str(x) for x in e['loc']) or 'arguments'}: {e['msg']} (got {e['input']!r})"
        for e in err.errors()
    ]
    return "invalid arguments: " + "; ".join(parts)


def _check_instrument(inst: Instrument) -> None:
    where = f"instrument {inst.name!r}"
    if not inst.dimensions:
        raise SpecificationError(f"{where} has no dimensions; declare dimensions={{name: items}}")
    empty = [d for d, members in inst.dimensions.items() if len(members) == 0]
    if empty:
        raise SpecificationError(
            f"{where}: dimension {format_offenders(empty)} has no items; every dimension "
            "needs at least one item (remove the dimension or list its items)"
        )
    seen: dict[str, str] = {}
    doubled: list[str] = []
    for dim, members in inst.dimensions.items():
        for item in members:
            if item in seen:
                doubled.append(f"{item} ({seen[item]}, {dim})")
            seen[item] = dim
    if doubled:
        raise SpecificationError(
            f"{where}: item {format_offenders(doubled)} is listed in more than one dimension "
            "(or twice); an item belongs to exactly one dimension"
        )
    unknown_dims = sorted(d for d in inst.dimension_labels if d not in inst.dimensions)
    if unknown_dims:
        raise SpecificationError(
            f"{where}: dimension_labels names {format_offenders(unknown_dims)}, which "
            f"{'is not a dimension' if len(unknown_dims) == 1 else 'are not dimensions'}; "
            f"the dimensions are {format_offenders(list(inst.dimensions))}"
        )
    for role, names in (
        ("item_labels", list(inst.item_labels)),
        ("reverse_scored", inst.reverse_scored),
    ):
        unknown = sorted(str(i) for i in names if i not in seen)
        if unknown:
            raise SpecificationError(
                f"{where}: {role} names {format_offenders(unknown)}, which "
                f"{'is not an item' if len(unknown) == 1 else 'are not items'} of the instrument"
            )
    fields = {f for _, f, _, _ in string.Formatter().parse(inst.column_pattern) if f is not None}
    if fields != {"battery", "item"}:
        raise SpecificationError(
            f"{where}: column_pattern {inst.column_pattern!r} must contain exactly the "
            "placeholders {battery} and {item} (e.g. '{battery}{item}' for E1, P1)"
        )
    columns = inst.columns("X")
    if len(set(columns)) != len(columns):
        raise SpecificationError(
            f"{where}: column_pattern {inst.column_pattern!r} gives the same column name to "
            "different items"
        )


_DIMENSION_LABELS = {
    "Tangibles": "有形性",
    "Reliability": "可靠性",
    "Responsiveness": "响应性",
    "Assurance": "保证性",
    "Empathy": "移情性",
}
_DIMENSIONS = {
    "Tangibles": ("1", "2", "3", "4"),
    "Reliability": ("5", "6", "7", "8", "9"),
    "Responsiveness": ("10", "11", "12", "13"),
    "Assurance": ("14", "15", "16", "17"),
    "Empathy": ("18", "19", "20", "21", "22"),
}
_ITEM_LABELS_1991 = {
    "1": "modern-looking equipment / 设备现代化",
    "2": "visually appealing physical facilities / 设施有吸引力",
    "3": "neat-appearing employees / 员工仪表整洁",
    "4": "visually appealing materials / 服务资料美观",
    "5": "does what it promises by a certain time / 按承诺时间完成",
    "6": "sincere interest in solving problems / 真诚解决问题",
    "7": "performs the service right the first time / 第一次就做好",
    "8": "provides services at the promised time / 准时提供服务",
    "9": "insists on error-free records / 记录准确无误",
    "10": "tells customers when services will be performed / 告知服务时间",
    "11": "gives prompt service / 服务及时",
    "12": "always willing to help / 乐于帮助顾客",
    "13": "never too busy to respond / 再忙也回应顾客",
    "14": "behaviour instils confidence / 行为值得信赖",
    "15": "customers feel safe in transactions / 交易令人放心",
    "16": "consistently courteous / 始终礼貌待客",
    "17": "knowledge to answer questions / 具备专业知识",
    "18": "gives individual attention / 给予个别关注",
    "19": "convenient operating hours / 营业时间方便",
    "20": "employees give personal attention / 员工给予个人关怀",
    "21": "has customers' best interests at heart / 以顾客利益为重",
    "22": "understands customers' specific needs / 了解顾客需求",
}
_ITEM_LABELS_1988 = {
    **_ITEM_LABELS_1991,
    "4": "appearance of facilities in keeping with the service / 设施与服务相称",
    "10": "(neg.) not realistic to expect to be told when services will be performed",
    "11": "(neg.) not realistic to expect prompt service",
    "12": "(neg.) employees don't always have to be willing to help",
    "13": "(neg.) OK if employees are too busy to respond promptly",
    "18": "(neg.) should not be expected to give individual attention",
    "19": "(neg.) employees should not be expected to give personal attention",
    "20": "(neg.) unrealistic to expect employees to know customers' needs",
    "21": "(neg.) unrealistic to expect them to have customers' best interests at heart",
    "22": "(neg.) shouldn't be expected to have convenient operating hours",
}

SERVQUAL_1988 = Instrument(
    name="servqual_1988",
    dimensions=_DIMENSIONS,
    dimension_labels=_DIMENSION_LABELS,
    item_labels=_ITEM_LABELS_1988,
    reverse_scored=("10", "11", "12", "13", "18", "19", "20", "21", "22"),
    citation="Parasuraman, Zeithaml & Berry (1988), Journal of Retailing 64(1), 12-40",
)
"""The original 22-item SERVQUAL (1988): items 10–13 and 18–22 are negatively worded
and reverse-scored."""

SERVQUAL_1991 = Instrument(
    name="servqual_1991",
    dimensions=_DIMENSIONS,
    dimension_labels=_DIMENSION_LABELS,
    item_labels=_ITEM_LABELS_1991,
    citation="Parasuraman, Berry & Zeithaml (1991), Journal of Retailing 67(4), 420-450",
)
"""The revised 22-item SERVQUAL (1991): every item positively worded."""

INSTRUMENTS: dict[str, Instrument] = {
    "servqual_1988": SERVQUAL_1988,
    "servqual_1991": SERVQUAL_1991,
}
"""Built-in instruments by name."""


def resolve_instrument(instrument: Instrument | str) -> Instrument:
    """An :class:`Instrument`, or the registered one with that name.

    Examples
    --------
    >>> resolve_instrument("servqual_1988").reverse_scored[:2]
    ('10', '11')
    """
    if isinstance(instrument, Instrument):
        return instrument
    key = str(instrument).lower()
    if key not in INSTRUMENTS:
        raise SpecificationError(
            f"instrument={instrument!r} is not a registered instrument; choose one of "
            f"{format_offenders(sorted(INSTRUMENTS))} or pass an Instrument"
        )
    return INSTRUMENTS[key]
