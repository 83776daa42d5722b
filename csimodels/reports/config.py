"""Reports from a survey and a small TOML configuration, one per segment in one call.

The configuration says how to read the survey (``[data]``: the options of
:meth:`SurveyData.from_frame <csimodels.SurveyData.from_frame>`), what to fit
(``[index]``, ``[trends]``, ``[servqual]``, ``[kano]``, ``[ahp]``, ``[fce]``) and how
the report looks (``[report]``: a :class:`~csimodels.reports.ReportTemplate` plus
``formats``, ``by``, ``include``, ``period``, ``min_segment_size``)::

    [report]
    title = "2025 Q4 客户满意度报告"
    language = "zh"
    logo = "logo.png"
    sections = ["data", "index", "drivers", "trends"]
    colors = { primary = "#004488", accent = "#DDAA33" }
    by = "region"

    [data]
    scale = [1, 10]
    missing_codes = [99]
    weight = "weight"
    period = "period"

    [data.constructs]
    Quality = ["QUAL1", "QUAL2", "QUAL3"]
    ...

    [index]
    model = "ACSI"
    bootstrap = 200
    random_state = 1

Examples
--------
>>> import csimodels as csi
>>> data = csi.datasets.load_example("acsi_demo")
>>> config = ReportConfig.from_dict({"report": {"sections": ["data", "index"]},
...                                  "index": {"model": "ACSI"}})
>>> report = build_report(data, config)
>>> report.sections[1].reading.facts["previous_period"]
'2025Q3'
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from csimodels.data.survey import SurveyData
from csimodels.errors import (
    DataValidationError,
    InvalidParameterError,
    SpecificationError,
    format_offenders,
)
from csimodels.reports.report import FORMATS, Report, Section
from csimodels.reports.template import SECTION_KINDS, ReportTemplate, read_toml
from csimodels.results import Frame, Result

__all__ = [
    "CONFIG_TABLES",
    "INDEX_MODELS",
    "ReportBatchResult",
    "ReportConfig",
    "build_report",
    "write_reports",
]

CONFIG_TABLES = ("report", "data", "index", "drivers", "trends", "servqual", "kano", "ahp", "fce")
"""Top-level tables a configuration may have."""

INDEX_MODELS = ("ACSI", "ECSI", "SCSI", "CCSI")
"""Index model presets ``[index] model`` may name."""

_RUN_KEYS = ("formats", "by", "include", "period", "min_segment_size", "colors", "colours")


@dataclass(frozen=True)
class ReportConfig:
    """A parsed report configuration.

    Attributes
    ----------
    template : ReportTemplate
    tables : dict
        The configuration's tables (``data``, ``index``, ``trends``...).
    formats : tuple of str
        Output formats (default pdf, html and xlsx).
    by : str or None
        Segment column for one report per segment.
    include : tuple of str
        Only these segments (default every one).
    period : str
        ``"latest"`` (the newest period, compared with the one before), ``"all"``, or a
        period label.
    min_segment_size : int
        Segments with fewer respondents are reported as too small on the cover.
    explicit_sections : bool
        The configuration listed its sections (each must then be buildable).

    Examples
    --------
    >>> ReportConfig.from_dict({"report": {"formats": ["pdf"]}}).formats
    ('pdf',)
    """

    template: ReportTemplate
    tables: dict[str, Any] = field(default_factory=dict)
    formats: tuple[str, ...] = FORMATS
    by: str | None = None
    include: tuple[str, ...] = ()
    period: str = "latest"
    min_segment_size: int = 30
    explicit_sections: bool = False

    @classmethod
    def from_toml(cls, path: str | Path) -> ReportConfig:
        """Read a TOML configuration (relative paths are relative to the file).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.toml"
        >>> _ = p.write_text('[report]\\nby = "region"\\n[index]\\nmodel = "ACSI"\\n')
        >>> ReportConfig.from_toml(p).by
        'region'
        """
        return cls.from_dict(read_toml(path), base=Path(path).parent)

    @classmethod
    def from_dict(cls, config: Mapping[str, Any], *, base: Path | None = None) -> ReportConfig:
        """Validate a configuration given as a dict (the parsed TOML).

        Examples
        --------
        >>> ReportConfig.from_dict({"reprot": {}})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        csimodels.errors.SpecificationError: ... unknown table [reprot]; tables: [report], ...
        """
        if not isinstance(config, Mapping):
            raise InvalidParameterError(
                f"a report configuration must be a table (dict), got {type(config).__name__}"
            )
        unknown = [k for k in config if k not in CONFIG_TABLES]
        if unknown:
            raise SpecificationError(
                f"the configuration has an unknown table [{unknown[0]}]; tables: "
                + ", ".join(f"[{t}]" for t in CONFIG_TABLES)
            )
        for name, table in config.items():
            if not isinstance(table, Mapping):
                raise SpecificationError(f"[{name}] must be a table, got {table!r}")
        report = dict(config.get("report", {}))
        known = set(ReportTemplate.model_fields) | set(_RUN_KEYS)
        bad = sorted(k for k in report if k not in known)
        if bad:
            raise InvalidParameterError(
                f"[report] has unknown setting(s) {format_offenders(bad)}; settings: "
                + ", ".join(sorted(known - {"colours"}))
            )
        template = ReportTemplate.from_table(report, base=base)
        formats = tuple(report.get("formats", FORMATS))
        wrong = [f for f in formats if f not in FORMATS]
        if wrong or not formats:
            raise InvalidParameterError(
                f"[report] formats must list 'pdf', 'html' or 'xlsx', got {list(formats)}"
            )
        index = config.get("index", {})
        model = index.get("model", "ACSI")
        if model not in INDEX_MODELS:
            raise InvalidParameterError(
                f"[index] model must be one of {', '.join(map(repr, INDEX_MODELS))}, got {model!r}"
            )
        size = report.get("min_segment_size", 30)
        if not isinstance(size, int) or size < 2:
            raise InvalidParameterError(
                f"[report] min_segment_size must be an integer of at least 2, got {size!r}"
            )
        return cls(
            template=template,
            tables={k: dict(v) for k, v in config.items() if k != "report"},
            formats=formats,
            by=report.get("by"),
            include=tuple(str(s) for s in report.get("include", ())),
            period=str(report.get("period", "latest")),
            min_segment_size=size,
            explicit_sections="sections" in report,
        )

    def read_data(self, source: str | Path | pd.DataFrame | SurveyData) -> SurveyData:
        """The survey, read and validated with the ``[data]`` options.

        Examples
        --------
        >>> import pandas as pd
        >>> cfg = ReportConfig.from_dict({"data": {"scale": [1, 5]}})
        >>> cfg.read_data(pd.DataFrame({"Q1": [1, 5]})).n_respondents
        2
        """
        options = dict(self.tables.get("data", {}))
        if "scale" in options and isinstance(options["scale"], list):
            options["scale"] = tuple(options["scale"])
        if isinstance(source, SurveyData):
            return source
        try:
            if isinstance(source, pd.DataFrame):
                return SurveyData.from_frame(source, **options)
            path = Path(source)
            if not path.is_file():
                raise InvalidParameterError(f"the survey file {str(path)!r} does not exist")
            if path.suffix.lower() in (".xlsx", ".xls"):
                return SurveyData.from_excel(path, **options)
            return SurveyData.from_csv(path, **options)
        except TypeError as err:  # an option from_frame does not take
            raise InvalidParameterError(f"[data] has an unknown option: {err}") from None


def _period_order(data: SurveyData) -> list[str]:
    assert data.period is not None
    values = data.frame[data.period].dropna()
    return [str(v) for v in sorted(pd.unique(values), key=str)]


def _subset(data: SurveyData, column: str, value: str) -> SurveyData:
    mask = (data.frame[column].astype(str) == value).to_numpy()
    return data.subset(mask)


def _index_model(config: ReportConfig, data: SurveyData) -> tuple[Any, dict[str, Any]]:
    import csimodels as csi

    opts = dict(config.tables.get("index", {}))
    name = str(opts.pop("model", "ACSI"))
    fit_opts = {k: opts.pop(k) for k in ("bootstrap", "random_state") if k in opts}
    opts.pop("target", None)
    if "indicators" not in opts:
        if not data.constructs:
            raise SpecificationError(
                "[index] needs the constructs: give [data.constructs] (construct = [items]) "
                "or [index.indicators]"
            )
        opts["indicators"] = {k: list(v) for k, v in data.constructs.items()}
    model = getattr(csi, name)(**opts)
    fit_opts.setdefault("bootstrap", 200)
    fit_opts.setdefault("random_state", 20251)
    return model, fit_opts


def build_report(
    data: SurveyData | pd.DataFrame,
    config: ReportConfig | Mapping[str, Any],
    *,
    segment: str | None = None,
) -> Report:
    """Fit every configured section on ``data`` and assemble the report.

    With a period column and ``period = "latest"`` (the default), every section but
    the trends is fitted on the newest period, and the index reading states the
    change on the period before (its index from a fit on that period).

    Parameters
    ----------
    data : SurveyData or DataFrame
        The survey (a DataFrame is read with the ``[data]`` options).
    config : ReportConfig or dict
    segment : str, optional
        The segment the report is about (subtitle, trend reading).

    Returns
    -------
    Report

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> cfg = {"report": {"sections": ["index", "drivers"]}, "index": {"bootstrap": 50}}
    >>> r = build_report(data, cfg)
    >>> r.sections[1].reading.facts["fix_first"]
    'Quality'
    """
    cfg = config if isinstance(config, ReportConfig) else ReportConfig.from_dict(config)
    survey = cfg.read_data(data) if not isinstance(data, SurveyData) else data
    sections = cfg.template.sections
    wanted = list(sections) if cfg.explicit_sections else _default_sections(cfg, survey)
    current = survey
    previous: SurveyData | None = None
    previous_label = None
    if survey.period is not None and cfg.period != "all":
        order = _period_order(survey)
        label = order[-1] if cfg.period == "latest" else cfg.period
        if label not in order:
            raise DataValidationError(
                f"[report] period {label!r} is not in the period column {survey.period!r}; "
                f"periods: {format_offenders(order)}"
            )
        current = _subset(survey, survey.period, label)
        at = order.index(label)
        if at > 0:
            previous_label = order[at - 1]
            previous = _subset(survey, survey.period, previous_label)
    built: list[Section] = []
    context: dict[str, Any] = {}
    index_result = None
    target = cfg.tables.get("index", {}).get("target")
    for kind in wanted:
        if kind == "data":
            built.append(Section("data", current.describe()))
        elif kind in ("index", "drivers"):
            if index_result is None:
                model, fit_opts = _index_model(cfg, current)
                index_result = model.fit(current, **fit_opts)
                from csimodels.reports.reading import headline_target

                target = target or headline_target(index_result)
                if target not in index_result.indices.index:
                    raise SpecificationError(
                        f"[index] target {target!r} is not a construct of the model; "
                        "constructs: "
                        + format_offenders([str(c) for c in index_result.indices.index])
                    )
                if previous is not None and previous.n_respondents >= cfg.min_segment_size:
                    before = model.fit(previous)
                    context["previous"] = (
                        previous_label,
                        float(before.indices.loc[target, "index"]),
                    )
            ctx = {"target": target}
            if kind == "drivers":
                target_d = cfg.tables.get("drivers", {}).get("target", target)
                ctx = {"target": target_d}
            built.append(Section(kind, index_result, context=ctx))
        elif kind == "trends":
            built.append(_trends(cfg, survey, target, segment))
        elif kind == "servqual":
            from csimodels.servqual import SERVQUAL

            opts = dict(cfg.tables.get("servqual", {}))
            built.append(Section("servqual", SERVQUAL(**opts).fit(current)))
        elif kind == "kano":
            built.append(Section("kano", _kano(cfg, current)))
        elif kind == "ahp":
            built.append(Section("ahp", _ahp(cfg)))
        elif kind == "fce":
            built.append(Section("fce", _fce(cfg, current)))
    template = cfg.template
    if not cfg.explicit_sections:
        template = template.model_copy(
            update={"sections": tuple(k for k in SECTION_KINDS if k in wanted)}
        )
    return Report(built, template=template, segment=segment, context=context)


def _default_sections(cfg: ReportConfig, data: SurveyData) -> list[str]:
    out = ["data", "index", "drivers"]
    if data.period is not None:
        out.append("trends")
    out += [k for k in ("servqual", "kano", "ahp", "fce") if k in cfg.tables]
    return [k for k in SECTION_KINDS if k in out]


def _trends(
    cfg: ReportConfig, data: SurveyData, target: str | None, segment: str | None
) -> Section:
    from csimodels.trends import TrendMonitor

    if data.period is None:
        raise SpecificationError(
            'the trends section needs a period column: give [data] period = "<column>"'
        )
    opts = dict(cfg.tables.get("trends", {}))
    series = opts.pop("series", None)
    if series is None:
        series = [target] if target else list(data.constructs)[:1]
    res = TrendMonitor(series=list(series), **opts).fit(data)
    labels = {**data.labels(), **dict(data.construct_labels)}
    return Section("trends", res, context={"segment": "all", "labels": labels})


def _kano(cfg: ReportConfig, data: SurveyData) -> Any:
    from csimodels.kano import Kano

    opts = dict(cfg.tables.get("kano", {}))
    if "features" not in opts:
        raise SpecificationError(
            "the kano section needs [kano.features]: feature = [functional column, "
            "dysfunctional column]"
        )
    opts["features"] = {k: tuple(v) for k, v in opts["features"].items()}
    if "codes" in opts:
        opts["codes"] = tuple(opts["codes"])
    fit = {k: opts.pop(k) for k in ("weight", "missing_codes") if k in opts}
    if "weight" not in fit and data.weight is not None:
        fit["weight"] = data.weight
    return Kano(**opts).fit(data.frame, **fit)


def _ahp(cfg: ReportConfig) -> Any:
    from csimodels.ahp import AHP

    opts = dict(cfg.tables.get("ahp", {}))
    rows = opts.pop("judgments", None)
    if not rows:
        raise SpecificationError(
            'the ahp section needs [ahp] judgments = [["A", "B", 3], ...] (A is 3 times as '
            "important as B)"
        )
    judgments: dict[tuple[str, str], float] = {}
    for k, row in enumerate(rows):
        if not (isinstance(row, list) and len(row) == 3):
            raise SpecificationError(
                f"[ahp] judgments[{k}] must be [criterion, criterion, value], got {row!r}"
            )
        judgments[(str(row[0]), str(row[1]))] = float(row[2])
    return AHP(**opts).fit(judgments)


def _fce(cfg: ReportConfig, data: SurveyData) -> Any:
    from csimodels.fce import FCE

    opts = dict(cfg.tables.get("fce", {}))
    try:
        grades = opts.pop("grades")
        weights = opts.pop("weights")
    except KeyError as err:
        raise SpecificationError(
            f"the fce section needs [fce] {err.args[0]} (grades = {{grade = score}}, "
            "weights = {item = weight})"
        ) from None
    items = opts.pop("items", list(weights) if isinstance(weights, Mapping) else None)
    codes = opts.pop("codes", None)
    if isinstance(codes, Mapping):
        codes = {
            float(k) if re.fullmatch(r"-?\d+(\.\d+)?", str(k)) else k: v for k, v in codes.items()
        }
    w = [float(weights[i]) for i in items] if isinstance(weights, Mapping) else weights
    return FCE(grades=grades, **opts).evaluate_survey(data, w, items=items, codes=codes)


# -- one report per segment ---------------------------------------------------------------


class ReportBatchResult(Result):
    """What :func:`write_reports` did for each segment: ranked, with the files written.

    Attributes
    ----------
    by : str
        The segment column.
    target : str or None
        The construct the segments are ranked on.
    table : DataFrame, index segment
        ``n`` respondents; ``status`` (``"written"``, ``"failed"`` or
        ``"too_small"``); ``reason`` (why a segment failed); ``index``, ``ci_lower``,
        ``ci_upper`` of the target; ``rank`` (1 = best; NaN when not written);
        ``files`` (the paths written, ``;``-separated); ``seconds`` to fit and write.
    cover : tuple of str
        The cover files.

    Examples
    --------
    >>> ReportBatchResult(by="region", target=None, table=pd.DataFrame(), cover=())._title
    'Reports by segment'
    """

    by: str
    target: str | None
    table: Frame
    cover: tuple[str, ...] = ()

    _title: ClassVar[str] = "Reports by segment"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        counts = self.table["status"].value_counts() if len(self.table) else pd.Series()
        header: list[tuple[str, object]] = [
            ("Segments by", self.by),
            ("Ranked on", self.target or "n/a"),
            ("Written", int(counts.get("written", 0))),
            ("Failed", int(counts.get("failed", 0))),
            ("Too small", int(counts.get("too_small", 0))),
        ]
        return header, {"Segment ranking": self.table}


def _segment_report(
    part: SurveyData, cfg: ReportConfig, label: str, stem: Path, fmts: Sequence[str]
) -> dict[str, Any]:
    """Fit and write one segment's report; a failure is recorded, not raised."""
    start = time.perf_counter()
    row: dict[str, Any] = {
        "segment": label,
        "n": part.n_respondents,
        "status": "written",
        "reason": "",
        "index": np.nan,
        "ci_lower": np.nan,
        "ci_upper": np.nan,
        "files": "",
        "target": None,
    }
    if part.n_respondents < cfg.min_segment_size:
        row["status"] = "too_small"
        row["reason"] = (
            f"{part.n_respondents} respondents, fewer than min_segment_size = "
            f"{cfg.min_segment_size}"
        )
    else:
        try:
            report = build_report(part, cfg, segment=label)
            files = report.write(stem, formats=fmts)
            facts = report.headline()
            row.update(
                index=facts.get("index", np.nan),
                ci_lower=facts.get("ci_lower", np.nan),
                ci_upper=facts.get("ci_upper", np.nan),
                files=";".join(str(f) for f in files),
                target=facts.get("target"),
                target_label=facts.get("target_label"),
            )
        except Exception as err:  # one failed segment must not stop the others
            row["status"] = "failed"
            row["reason"] = f"{type(err).__name__}: {err}"
    row["seconds"] = time.perf_counter() - start
    return row


def _slug(label: str, taken: set[str]) -> str:
    base = re.sub(r"[^\w.-]+", "_", label, flags=re.UNICODE).strip("._") or "segment"
    name, i = base, 2
    while name.lower() in taken:
        name = f"{base}_{i}"
        i += 1
    taken.add(name.lower())
    return name


def write_reports(
    data: SurveyData | pd.DataFrame | str | Path,
    config: ReportConfig | Mapping[str, Any] | str | Path,
    *,
    out: str | Path,
    by: str | None = None,
    formats: Sequence[str] | None = None,
    cover: bool = True,
    n_jobs: int = 1,
) -> ReportBatchResult:
    """Write one report per segment and a cover that ranks the segments.

    A segment whose fit fails is reported on the cover with the reason; the other
    segments are still written. Segments smaller than ``min_segment_size`` are not
    fitted.

    Parameters
    ----------
    data : SurveyData, DataFrame or path of a CSV / Excel file
    config : ReportConfig, dict, or path of a TOML file
    out : str or Path
        Directory for the files (created when missing).
    by : str, optional
        Segment column (default the configuration's ``[report] by``).
    formats : list of {"pdf", "html", "xlsx"}, optional
        Default the configuration's.
    cover : bool
        Write ``cover.<format>`` too.
    n_jobs : int
        Segments written in parallel (joblib processes; ``-1``: every core). The
        files do not depend on it.

    Returns
    -------
    ReportBatchResult

    Examples
    --------
    >>> import tempfile, csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> cfg = {"report": {"sections": ["index"], "formats": ["html"]},
    ...        "index": {"bootstrap": 20}}
    >>> res = write_reports(data, cfg, by="region", out=tempfile.mkdtemp())
    >>> res.table["status"].to_dict(), [p.rsplit("/", 1)[-1] for p in res.cover]
    ({'East': 'written', 'North': 'written', 'South': 'written', 'West': 'written'}, ['cover.html'])
    """
    if isinstance(config, (str, Path)):
        cfg = ReportConfig.from_toml(config)
    elif isinstance(config, ReportConfig):
        cfg = config
    else:
        cfg = ReportConfig.from_dict(config)
    survey = cfg.read_data(data)
    column = by or cfg.by
    if column is None:
        raise InvalidParameterError(
            "write_reports needs a segment column: by='region' or [report] by = \"region\""
        )
    if column not in survey.frame.columns:
        raise DataValidationError(
            f"segment column {column!r} is not in the data; columns: "
            f"{format_offenders(list(map(str, survey.frame.columns)), limit=8)}"
        )
    fmts = tuple(formats) if formats is not None else cfg.formats
    bad = [f for f in fmts if f not in FORMATS]
    if bad:
        raise InvalidParameterError(
            f"parameter 'formats' of write_reports must list 'pdf', 'html' or 'xlsx', got {bad}"
        )
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InvalidParameterError(
            f"parameter 'out' of write_reports must be a directory that can be created, got "
            f"{str(folder)!r} ({err.strerror})"
        ) from None
    if not os.access(folder, os.W_OK):
        raise InvalidParameterError(
            f"parameter 'out' of write_reports must be writable, got {str(folder)!r} "
            "(permission denied)"
        )
    labels = [str(v) for v in sorted(pd.unique(survey.frame[column].dropna()), key=str)]
    if cfg.include:
        missing = [s for s in cfg.include if s not in labels]
        if missing:
            raise DataValidationError(
                f"[report] include names segment(s) {format_offenders(missing)} not found in "
                f"column {column!r}; segments: {format_offenders(labels, limit=8)}"
            )
        labels = [s for s in labels if s in cfg.include]
    if not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise InvalidParameterError(
            f"parameter 'n_jobs' of write_reports must be a positive integer or -1, got {n_jobs!r}"
        )
    taken: set[str] = {"cover"}
    jobs = [
        (_subset(survey, column, label), label, folder / _slug(label, taken)) for label in labels
    ]
    if n_jobs == 1 or len(jobs) < 2:
        rows = [_segment_report(part, cfg, label, stem, fmts) for part, label, stem in jobs]
    else:
        from joblib import Parallel, delayed

        rows = Parallel(n_jobs=n_jobs)(
            delayed(_segment_report)(part, cfg, label, stem, fmts) for part, label, stem in jobs
        )
    target = next((r["target"] for r in rows if r.get("target")), None)
    target_label = next((r["target_label"] for r in rows if r.get("target_label")), None)
    for r in rows:
        r.pop("target", None)
        r.pop("target_label", None)
    table = pd.DataFrame(rows).set_index("segment") if rows else pd.DataFrame()
    if len(table):
        written = table["status"] == "written"
        table["rank"] = table["index"].where(written).rank(ascending=False, method="min")
        table = table[
            ["n", "status", "reason", "index", "ci_lower", "ci_upper", "rank", "files", "seconds"]
        ]
    result = ReportBatchResult(
        by=column,
        target=target,
        table=table,
        settings={
            "formats": list(fmts),
            "min_segment_size": cfg.min_segment_size,
            "out": str(folder),
            "target_label": target_label,
        },
    )
    if cover and len(table):
        from csimodels.reports.cover import write_cover

        files = write_cover(result, cfg.template, folder, fmts)
        result = result.model_copy(update={"cover": tuple(str(f) for f in files)})
    return result
