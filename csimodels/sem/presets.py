"""The national satisfaction index models as ready-made path models.

Each preset holds the published structure (constructs and paths, see
:mod:`csimodels.sem.structures`); you map your own item columns to its constructs, may
switch a construct to formative measurement, add or drop paths, and fit it like any
other :class:`PathModel`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Literal

from pydantic import Field

from csimodels.errors import SpecificationError, format_offenders
from csimodels.sem.model import PathModelBase
from csimodels.sem.spec import ModelSpec
from csimodels.sem.structures import CSI_STRUCTURES

__all__ = ["ACSI", "CCSI", "CCSI_VARIANTS", "ECSI", "SCSI", "CSIPreset", "PathModel"]


class PathModel(PathModelBase):
    """A custom PLS path model from a :class:`ModelSpec`.

    Attributes
    ----------
    spec : ModelSpec
        Constructs, indicators, measurement modes and paths.

    Examples
    --------
    >>> import csimodels as csi
    >>> spec = csi.ModelSpec.from_syntax("Q =~ QUAL1 + QUAL2; S =~ SAT1 + SAT2; S ~ Q")
    >>> res = csi.PathModel(spec=spec).fit(csi.datasets.load_example("acsi_demo"))
    >>> 0.4 < float(res.paths.loc[("Q", "S"), "estimate"]) < 0.9
    True
    """

    spec: ModelSpec

    def to_spec(self) -> ModelSpec:
        """The model specification."""
        return self.spec


class CSIPreset(PathModelBase):
    """Base class of the published index models (ACSI, SCSI, ECSI, CCSI).

    Attributes
    ----------
    indicators : dict of construct to list of item columns
        Your item columns for every construct of the published structure.
    modes : dict of construct to {"reflective", "formative"}
        Measurement modes differing from reflective.
    add_paths, drop_paths : list of (from, to)
        Changes to the published paths.
    """

    indicators: dict[str, tuple[str, ...]]
    modes: dict[str, str] = Field(default_factory=dict)
    add_paths: tuple[tuple[str, str], ...] = ()
    drop_paths: tuple[tuple[str, str], ...] = ()

    _structure: ClassVar[str] = ""

    def _published(self) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...], dict[str, str]]:
        s = CSI_STRUCTURES[self._structure]
        return s.constructs, s.paths, s.chinese_labels

    def to_spec(self) -> ModelSpec:
        """The published structure with your indicators and changes, validated."""
        constructs, paths, labels = self._published()
        name = type(self).__name__
        missing = [c for c in constructs if c not in self.indicators]
        extra = sorted(c for c in self.indicators if c not in constructs)
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"no indicators for {format_offenders(missing)}")
            if extra:
                parts.append(f"{format_offenders(extra)} not in the model")
            raise SpecificationError(
                f"{name}: {'; '.join(parts)}; the {name} constructs are "
                f"{format_offenders(list(constructs), limit=10)}"
            )
        spec = ModelSpec.from_mapping(
            {c: self.indicators[c] for c in constructs},
            paths,
            modes=self.modes,
            labels=labels,
        )
        if self.add_paths or self.drop_paths:
            spec = spec.with_paths(add=self.add_paths, drop=self.drop_paths)
        return spec


class ACSI(CSIPreset):
    """The American Customer Satisfaction Index model.

    Expectations, Perceived Quality, Perceived Value, Satisfaction (the ACSI),
    Complaints and Loyalty; paths Expectations→Quality, Expectations→Value,
    Expectations→Satisfaction, Quality→Value, Quality→Satisfaction,
    Value→Satisfaction, Satisfaction→Complaints, Satisfaction→Loyalty,
    Complaints→Loyalty (Fornell, Johnson, Anderson, Cha & Bryant 1996). Construct
    names: ``Expectations``, ``Quality``, ``Value``, ``Satisfaction``, ``Complaints``,
    ``Loyalty``.

    References
    ----------
    1. Fornell, C., Johnson, M. D., Anderson, E. W., Cha, J., & Bryant, B. E. (1996).
       The American Customer Satisfaction Index: nature, purpose, and findings.
       Journal of Marketing, 60(4), 7–18.

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> acsi = csi.ACSI(indicators=data.constructs)
    >>> res = acsi.fit(data)
    >>> 60 < float(res.indices.loc["Satisfaction", "index"]) < 80
    True
    """

    _structure: ClassVar[str] = "acsi"


class SCSI(CSIPreset):
    """The Swedish Customer Satisfaction Barometer (SCSB / SCSI) model.

    Expectations, Perceived Value (performance), Satisfaction, Complaints (voice) and
    Loyalty; paths Expectations→Value, Expectations→Satisfaction, Value→Satisfaction,
    Satisfaction→Complaints, Satisfaction→Loyalty, Complaints→Loyalty (Fornell 1992).

    References
    ----------
    1. Fornell, C. (1992). A national customer satisfaction barometer: the Swedish
       experience. Journal of Marketing, 56(1), 6–21.

    Examples
    --------
    >>> SCSI(indicators={"Expectations": ["E1"], "Value": ["V1"], "Satisfaction": ["S1"],
    ...                  "Complaints": ["C1"], "Loyalty": ["L1"]}).to_spec().paths[0]
    ('Expectations', 'Value')
    """

    _structure: ClassVar[str] = "scsi"


class ECSI(CSIPreset):
    """The European Customer Satisfaction Index model.

    Image, Expectation, Quality, Value, Satisfaction, Complaints and Loyalty; paths
    Image→Expectation, Image→Satisfaction, Image→Loyalty, Expectation→Quality,
    Expectation→Value, Expectation→Satisfaction, Quality→Value, Quality→Satisfaction,
    Value→Satisfaction, Satisfaction→Complaints, Satisfaction→Loyalty,
    Complaints→Loyalty — the model of Tenenhaus, Esposito Vinzi, Chatelin & Lauro
    (2005) on the mobile-phone data.

    References
    ----------
    1. Tenenhaus, M., Esposito Vinzi, V., Chatelin, Y.-M., & Lauro, C. (2005). PLS
       path modeling. Computational Statistics & Data Analysis, 48(1), 159–205.

    Examples
    --------
    >>> ecsi = ECSI(indicators={
    ...     "Image": ["IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5"],
    ...     "Expectation": ["CUEX1", "CUEX2", "CUEX3"],
    ...     "Quality": ["PERQ1", "PERQ2", "PERQ3", "PERQ4", "PERQ5", "PERQ6", "PERQ7"],
    ...     "Value": ["PERV1", "PERV2"], "Satisfaction": ["CUSA1", "CUSA2", "CUSA3"],
    ...     "Complaints": ["CUSCO"], "Loyalty": ["CUSL1", "CUSL2", "CUSL3"]})
    >>> len(ecsi.to_spec().paths)
    12
    """

    _structure: ClassVar[str] = "ecsi"


CCSI_VARIANTS: dict[str, str] = {
    "standard": "Tsinghua CCSI: 11 paths along Image → Expectation → Quality → Value → "
    "Satisfaction, plus Satisfaction → Loyalty",
    "image_loyalty": "standard plus Image → Loyalty",
    "complaints": "standard plus a Complaints construct: Satisfaction → Complaints → Loyalty",
}


class CCSI(CSIPreset):
    """The China Customer Satisfaction Index model (Tsinghua University).

    Brand Image (品牌形象), Expectation (预期质量), Perceived Quality (感知质量),
    Perceived Value (感知价值), Satisfaction (顾客满意度) and Loyalty (顾客忠诚), with
    every path along Image → Expectation → Quality → Value → Satisfaction plus
    Satisfaction → Loyalty (eleven paths). Published variants add Image → Loyalty
    (``variant="image_loyalty"``) or a Complaints construct between Satisfaction and
    Loyalty (``variant="complaints"``, which needs Complaints indicators).

    Attributes
    ----------
    variant : {"standard", "image_loyalty", "complaints"}
        See :data:`CCSI_VARIANTS`.

    References
    ----------
    1. 清华大学中国企业研究中心 (2003). 中国顾客满意指数测评手册. 北京: 中国标准出版社.

    Examples
    --------
    >>> items = {c: [c[:3] + "1"] for c in
    ...          ["Image", "Expectation", "Quality", "Value", "Satisfaction", "Loyalty"]}
    >>> len(CCSI(indicators=items).to_spec().paths)
    11
    >>> len(CCSI(indicators=items, variant="image_loyalty").to_spec().paths)
    12
    """

    variant: Literal["standard", "image_loyalty", "complaints"] = "standard"

    _structure: ClassVar[str] = "ccsi"

    def _published(self) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...], dict[str, str]]:
        constructs, paths, labels = super()._published()
        if self.variant == "image_loyalty":
            paths = (*paths, ("Image", "Loyalty"))
        elif self.variant == "complaints":
            constructs = (*constructs[:-1], "Complaints", "Loyalty")
            paths = (*paths, ("Satisfaction", "Complaints"), ("Complaints", "Loyalty"))
            labels = {**labels, "Complaints": "顾客抱怨"}
        return constructs, paths, labels


def preset_for(name: str, indicators: Mapping[str, tuple[str, ...]]) -> CSIPreset:
    """The preset called ``name`` ("acsi", "scsi", "ecsi", "ccsi") with ``indicators``.

    Examples
    --------
    >>> import csimodels as csi
    >>> type(preset_for("acsi", csi.datasets.load_example("acsi_demo").constructs)).__name__
    'ACSI'
    """
    presets: dict[str, type[CSIPreset]] = {"acsi": ACSI, "scsi": SCSI, "ecsi": ECSI, "ccsi": CCSI}
    key = name.lower()
    if key not in presets:
        raise SpecificationError(
            f"no preset named {name!r}; choose one of {format_offenders(sorted(presets))}"
        )
    return presets[key](indicators=dict(indicators))
