"""Reports: the PDF's text holds the Chinese labels and the reading's numbers, the
HTML is well formed and embeds every chart, the workbook holds every section, the
template and configuration refuse bad input clearly, and a batch by segment writes
every report it can and lists the failures on its cover.

The numbers a reading must state are taken from the result's own tables here (the
report's job is to state them), formatted as the reading formats them.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import warnings
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

pytest.importorskip("matplotlib")
pypdf = pytest.importorskip("pypdf")
pytest.importorskip("reportlab")

import csimodels as csi  # noqa: E402
from csimodels import plotting  # noqa: E402
from csimodels.cli import main  # noqa: E402
from csimodels.errors import (  # noqa: E402
    DataValidationError,
    InvalidParameterError,
    SpecificationError,
)
from csimodels.reports import (  # noqa: E402
    Report,
    ReportConfig,
    ReportTemplate,
    Section,
    build_report,
    write_reports,
)
from csimodels.reports._examples import example_result  # noqa: E402
from csimodels.reports.excel import HEADER_ROW, read_sheet_table  # noqa: E402

CJK = plotting.cjk_font()

_CACHE: dict[str, Any] = {}


def ex(name: str) -> Any:
    if name not in _CACHE:
        _CACHE[name] = example_result(name)
    return _CACHE[name]


@pytest.fixture(scope="module")
def data() -> csi.SurveyData:
    return csi.datasets.load_example("acsi_demo")


@pytest.fixture(scope="module")
def zh_report() -> Report:
    sections = {
        "data": ex("DescriptionResult"),
        "index": ex("PLSResult"),
        "drivers": ex("PLSResult"),
        "servqual": ex("SERVQUALResult"),
        "ahp": ex("AHPResult"),
    }
    template = ReportTemplate(title="客户满意度报告", language="zh")
    return Report(sections, template=template, context={"previous": ("2025Q3", 69.0)})


@pytest.fixture(scope="module")
def zh_files(zh_report: Report, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("zh")
    files = zh_report.write(out / "report", formats=("pdf", "html", "xlsx"))
    return {f.suffix.lstrip("."): f for f in files}


def _pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(str(path))
    return "".join(page.extract_text() for page in reader.pages)


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


# -- the reading states the result's numbers ------------------------------------------


def test_index_reading_states_the_index_its_interval_and_the_change(zh_report: Report) -> None:
    res = ex("PLSResult")
    row = res.indices.loc["Satisfaction"]
    reading = zh_report.sections[1].reading
    assert reading.facts["index"] == row["index"]
    text = reading.text
    assert f"{row['index']:.1f}" in text
    assert f"{row['ci_lower']:.1f}–{row['ci_upper']:.1f}" in text
    assert f"上升 {row['index'] - 69.0:.1f} 分" in text
    assert "顾客满意度" in text and "感知质量" in text  # labels, not codes


def test_english_index_reading_names_the_largest_lever() -> None:
    res = ex("PLSResult")
    report = Report({"index": res})
    ipma = res.ipma("Satisfaction")
    top = ipma["importance"].idxmax()
    text = report.sections[0].reading.text
    assert f"the largest lever is {top}" in text
    assert f"worth {ipma.loc[top, 'importance']:.2f} points of satisfaction" in text
    assert f"Satisfaction (顾客满意度) index {res.indices.loc['Satisfaction', 'index']:.1f}" in text


def test_data_reading_states_the_preparation() -> None:
    df = pd.DataFrame({"Q1": [1, 2, 3, 4, 5, 2] * 10, "Q2": [2, 3, 4, 5, 5, 1] * 10})
    df.loc[[0, 7], "Q1"] = 99
    data = csi.SurveyData.from_frame(df, scale=(1, 5), missing_codes=[99])
    kept = data.subset(df.index[5:], reason="完成全部访谈")
    zh_template = ReportTemplate(language="zh")
    zh = Report({"data": kept.describe()}, template=zh_template).sections[0].reading.text
    assert (
        "数据准备：2 个作答为缺失值代码，已记为缺失（Q1）；"
        "保留 60 位受访者中的 55 位：完成全部访谈。" in zh
    )
    en = Report({"data": kept.describe()}).sections[0].reading.text
    assert en.endswith(
        "Preparation: 2 answers with a missing-value code set to missing (Q1); kept 55 of 60 "
        "respondents: 完成全部访谈."
    )


def test_drivers_reading_fixes_the_important_low_performer() -> None:
    res = ex("PLSResult")
    facts = Report({"drivers": res}).sections[0].reading.facts
    ipma = res.ipma("Satisfaction")
    important = ipma[ipma["importance"] >= ipma["importance"].mean()]
    low = important[important["performance"] < ipma["performance"].mean()]
    want = low["importance"].idxmax() if len(low) else important["performance"].idxmin()
    assert facts["fix_first"] == want
    # the stated performance and the average it is compared with never read alike
    text = Report({"drivers": res}).sections[0].reading.text
    found = re.search(
        r"performs at ([\d.]+), (?:above|below) the drivers' average of ([\d.]+)", text
    )
    assert found is not None and found.group(1) != found.group(2)


def test_servqual_ahp_kano_fce_trend_readings_state_their_numbers() -> None:
    sq = ex("SERVQUALResult")
    r = Report({"servqual": sq}).sections[0].reading
    worst = sq.dimensions["estimate"].idxmin()
    assert worst in r.text and f"{sq.dimensions.loc[worst, 'estimate']:+.2f}" in r.text
    ahp = ex("AHPResult")
    r = Report({"ahp": ahp}).sections[0].reading
    w = ahp.weights.sort_values(ascending=False)
    assert f"{w.index[0]} carries the largest weight ({100 * w.iloc[0]:.1f} %)" in r.text
    assert f"Consistency ratio {ahp.cr:.3f}" in r.text
    kano = ex("KanoResult")
    r = Report({"kano": kano}).sections[0].reading
    n_must = int((kano.classification["category"] == "M").sum())
    assert f"{n_must} must-be" in r.text
    fce = ex("FCETreeResult")
    r = Report({"fce": fce}).sections[0].reading
    assert f"score {fce.overall.score:.1f}" in r.text and "良好" in r.text
    tr = ex("TrendResult")
    r = Report({"trends": tr}).sections[0].reading
    assert f"{len(tr.alerts)} alerts" in r.text


# -- PDF ------------------------------------------------------------------------------------


def test_pdf_text_holds_chinese_labels_and_the_readings_numbers(
    zh_report: Report, zh_files: dict[str, Path]
) -> None:
    text = _flat(_pdf_text(zh_files["pdf"]))
    for label in ("顾客满意度", "感知质量", "顾客预期", "可靠性"):
        assert label in text
    for section in zh_report.sections:
        assert _flat(section.title) in text
        assert _flat(section.reading.text) in text  # the whole reading, numbers included
    res = ex("PLSResult")
    assert f"{res.paths['estimate'].iloc[0]:.4f}" in text  # a table value


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_pdf_pages_render(zh_files: dict[str, Path], tmp_path: Path) -> None:
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "30",
            "-f",
            "1",
            "-l",
            "2",
            str(zh_files["pdf"]),
            str(tmp_path / "page"),
        ],
        check=True,
        capture_output=True,
    )
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 2 and all(p.stat().st_size > 2000 for p in pages)


def test_an_embedded_truetype_font(tmp_path: Path) -> None:
    fonts = [p for p in Path("/usr/share/fonts").rglob("DejaVuSans.ttf")]
    if not fonts:
        pytest.skip("no TrueType font to embed")
    t = ReportTemplate(title="Font", font=str(fonts[0]))
    path = Report({"ahp": ex("AHPResult")}, template=t).write(tmp_path / "f.pdf")[0]
    reader = pypdf.PdfReader(str(path))
    fonts_used = {
        str(f["/BaseFont"]) for page in reader.pages for f in page["/Resources"]["/Font"].values()
    }
    assert any("DejaVuSans" in f for f in fonts_used)
    with pytest.raises(InvalidParameterError, match="cannot be embedded"):
        bad = tmp_path / "bad.ttf"
        bad.write_bytes(b"not a font")
        Report({"ahp": ex("AHPResult")}, template=ReportTemplate(font=str(bad))).write(
            tmp_path / "g.pdf"
        )


# -- HTML -----------------------------------------------------------------------------------


class _Checker(HTMLParser):
    VOID = frozenset({"meta", "img", "br", "hr", "link", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.images: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()


def test_html_is_well_formed_self_contained_and_has_every_chart(
    zh_report: Report, zh_files: dict[str, Path]
) -> None:
    page = zh_files["html"].read_text(encoding="utf-8")
    checker = _Checker()
    checker.feed(page)
    assert checker.errors == [] and checker.stack == []
    assert page.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in page
    n_charts = sum(len(s.charts("zh", "label")) for s in zh_report.sections)
    assert n_charts >= 7
    assert len(checker.images) == n_charts
    for src in checker.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "http://" not in page and "https://" not in page  # nothing fetched
    for section in zh_report.sections:
        assert section.reading.text.replace("&", "&amp;") in page


def test_report_workbook_holds_readings_charts_and_every_table(
    zh_report: Report, zh_files: dict[str, Path]
) -> None:
    book = openpyxl.load_workbook(zh_files["xlsx"])
    first = book[book.sheetnames[0]]
    assert book.sheetnames[0] == "报告"
    assert first["A1"].value == "客户满意度报告"
    texts = [c.value for c in first["A"] if c.value]
    for section in zh_report.sections:
        assert section.reading.text in texts
    assert len(first._images) == sum(len(s.charts("zh", "label")) for s in zh_report.sections)
    ws = book["2 路径系数"]
    _, table = read_sheet_table(ws)
    res = ex("PLSResult")
    assert np.array_equal(
        table["估计值"].astype(float).to_numpy(), res.paths["estimate"].to_numpy()
    )
    assert ws.cell(row=HEADER_ROW + 1, column=2).value == "顾客预期"


# -- template -------------------------------------------------------------------------------


def _logo(path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 0.6))
    ax.text(0.5, 0.5, "ACME", ha="center", va="center", fontsize=20)
    ax.axis("off")
    fig.savefig(path)
    plt.close(fig)
    return path


def test_company_template_logo_colours_order(tmp_path: Path) -> None:
    logo = _logo(tmp_path / "logo.png")
    toml = tmp_path / "report.toml"
    toml.write_text(
        '[report]\ntitle = "ACME Q4"\nlogo = "logo.png"\nsections = ["ahp", "data"]\n'
        'colors = { primary = "#117733", accent = "#DDAA33" }\n',
        encoding="utf-8",
    )
    template = ReportTemplate.from_toml(toml)
    assert template.logo == str(logo)
    report = Report({"data": ex("DescriptionResult"), "ahp": ex("AHPResult")}, template=template)
    assert [s.kind for s in report.sections] == ["ahp", "data"]
    page = report.to_html()
    assert base64.b64encode(logo.read_bytes()).decode()[:200] in page
    assert "#117733" in page and "#DDAA33" in page
    assert page.index("AHP") < page.index("Data description")
    pdf = report.write(tmp_path / "r.pdf")[0]
    reader = pypdf.PdfReader(str(pdf))
    xobjects = reader.pages[0]["/Resources"]["/XObject"]
    assert len(xobjects) >= 2  # the logo and the first chart


def test_custom_html_template_and_missing_placeholders(tmp_path: Path) -> None:
    good = tmp_path / "good.html"
    good.write_text("<html><body><h1>$title</h1><div>$sections</div><p>$$5</p></body></html>")
    report = Report({"ahp": ex("AHPResult")}, template=ReportTemplate(html_template=str(good)))
    page = report.to_html()
    assert page.startswith("<html><body><h1>Customer satisfaction report</h1>") and "$5" in page
    bad = tmp_path / "bad.html"
    bad.write_text("<html><h1>$title</h1></html>")
    with pytest.raises(SpecificationError, match=r"has no \$sections placeholder"):
        ReportTemplate(html_template=str(bad))
    odd = tmp_path / "odd.html"
    odd.write_text("<html>$title $sections $company</html>")
    with pytest.raises(SpecificationError, match=r"unknown placeholder\(s\) \$company"):
        ReportTemplate(html_template=str(odd))


def test_bad_templates_and_sections(tmp_path: Path) -> None:
    with pytest.raises(SpecificationError, match="section 'nps' is not a report section"):
        ReportTemplate(sections=("index", "nps"))
    with pytest.raises(InvalidParameterError, match="#RRGGBB"):
        ReportTemplate(primary="blue")
    with pytest.raises(InvalidParameterError, match="does not exist"):
        ReportTemplate(logo=str(tmp_path / "missing.png"))
    with pytest.raises(InvalidParameterError, match="parameter 'language'"):
        ReportTemplate(language="fr")
    with pytest.raises(SpecificationError, match="leave out 'data'"):
        Report({"data": ex("DescriptionResult")}, template=ReportTemplate(sections=("ahp",)))
    with pytest.raises(SpecificationError, match="not a report section"):
        Section("nps", ex("AHPResult"))
    with pytest.raises(InvalidParameterError, match="needs a csimodels result"):
        Section("ahp", pd.DataFrame())
    report = Report({"ahp": ex("AHPResult")})
    with pytest.raises(InvalidParameterError, match=r"must end in \.pdf, \.html or \.xlsx"):
        report.write(tmp_path / "r.docx")
    with pytest.raises(InvalidParameterError, match="does not exist"):
        report.write(tmp_path / "no" / "dir" / "r.pdf")
    with pytest.raises(InvalidParameterError, match="parameter 'formats'"):
        report.write(tmp_path / "r", formats=("pdf", "doc"))


# -- configuration --------------------------------------------------------------------------


def test_configuration_errors_name_what_is_wrong(data: csi.SurveyData, tmp_path: Path) -> None:
    with pytest.raises(SpecificationError, match=r"unknown table \[sections\]"):
        ReportConfig.from_dict({"sections": {}})
    with pytest.raises(SpecificationError, match="section 'nps' is not a report section"):
        ReportConfig.from_dict({"report": {"sections": ["data", "nps"]}})
    with pytest.raises(InvalidParameterError, match=r"\[report\] has unknown setting\(s\) 'titel'"):
        ReportConfig.from_dict({"report": {"titel": "x"}})
    with pytest.raises(InvalidParameterError, match=r"\[index\] model must be one of"):
        ReportConfig.from_dict({"index": {"model": "NPS"}})
    with pytest.raises(InvalidParameterError, match="not valid TOML"):
        bad = tmp_path / "bad.toml"
        bad.write_text("[report\ntitle = 1")
        ReportConfig.from_toml(bad)
    with pytest.raises(SpecificationError, match=r"\[index\] target 'Delight'"):
        build_report(
            data,
            {"report": {"sections": ["index"]}, "index": {"target": "Delight", "bootstrap": 10}},
        )
    with pytest.raises(SpecificationError, match=r"needs \[ahp\] judgments"):
        build_report(data, {"report": {"sections": ["ahp"]}})
    with pytest.raises(DataValidationError, match="segment column 'district' is not in the data"):
        write_reports(data, {}, by="district", out=tmp_path / "o")
    with pytest.raises(DataValidationError, match=r"include names segment\(s\) 'Atlantis'"):
        write_reports(
            data, {"report": {"include": ["East", "Atlantis"]}}, by="region", out=tmp_path / "o"
        )
    with pytest.raises(DataValidationError, match="column 'NOPE'"):
        ReportConfig.from_dict({"data": {"weight": "NOPE"}}).read_data(data.frame)


def test_unwritable_output(data: csi.SurveyData, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InvalidParameterError, match="parameter 'out' of write_reports"):
        write_reports(data, {}, by="region", out=blocker / "sub")


# -- one report per segment -----------------------------------------------------------------


def test_batch_by_segment_writes_every_report_and_a_ranked_cover(tmp_path: Path) -> None:
    base = csi.datasets.load_example("acsi_demo").frame
    frame = base.copy()
    # a store whose satisfaction answers are all the same: its model cannot be fitted
    broken = frame[frame["region"] == "West"].head(300).copy()
    broken["region"] = "Broken"
    broken["city"] = "Broken city"
    for col in ("SAT1", "SAT2", "SAT3"):
        broken[col] = 7.0
    tiny = frame[frame["region"] == "East"].head(8).copy()
    tiny["region"] = "Tiny"
    tiny["city"] = "Tiny town"
    frame = pd.concat([frame, broken, tiny], ignore_index=True)
    config = {
        "report": {
            "title": "区域报告",
            "language": "zh",
            "sections": ["data", "index"],
            "formats": ["pdf", "html"],
        },
        "data": {
            "scale": [1, 10],
            "missing_codes": [99],
            "weight": "weight",
            "period": "period",
            "segments": ["region", "city"],
            "constructs": {
                k: list(v) for k, v in csi.datasets.load_example("acsi_demo").constructs.items()
            },
            "construct_labels": dict(csi.datasets.load_example("acsi_demo").construct_labels),
        },
        "index": {"bootstrap": 20, "random_state": 3},
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = write_reports(frame, config, by="region", out=tmp_path)
    table = res.table
    assert table.loc["Broken", "status"] == "failed" and table.loc["Broken", "reason"]
    assert table.loc["Tiny", "status"] == "too_small"
    ok = table[table["status"] == "written"]
    assert sorted(ok.index) == ["East", "North", "South", "West"]
    for label in ok.index:
        assert (tmp_path / f"{label}.pdf").is_file() and (tmp_path / f"{label}.html").is_file()
    # the ranking is the order of the indices, and each index is that region's report's
    order = ok.sort_values("index", ascending=False).index
    assert list(ok.loc[order, "rank"]) == [1.0, 2.0, 3.0, 4.0]
    east = _flat(_pdf_text(tmp_path / "East.pdf"))
    assert f"{ok.loc['East', 'index']:.1f}" in east and "顾客满意度" in east
    cover = _flat(_pdf_text(tmp_path / "cover.pdf"))
    assert "Broken" in cover and "失败" in cover and "Tiny" in cover
    assert cover.index(order[0]) < cover.index(order[-1])
    html = (tmp_path / "cover.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "Broken" in html


def test_cli_report_and_demo_report(tmp_path: Path) -> None:
    data = csi.datasets.load_example("acsi_demo")
    csv = tmp_path / "survey.csv"
    data.frame[data.frame["region"].isin(["North", "South"])].to_csv(csv, index=False)
    constructs = "\n".join(
        f"{k} = [{', '.join(repr(i).replace(chr(39), chr(34)) for i in v)}]"
        for k, v in data.constructs.items()
    )
    toml = tmp_path / "report.toml"
    toml.write_text(
        '[report]\ntitle = "CLI"\nsections = ["index"]\nformats = ["html"]\n'
        '[data]\nscale = [1, 10]\nmissing_codes = [99]\nweight = "weight"\nperiod = "period"\n'
        f'segments = ["region", "city"]\n[data.constructs]\n{constructs}\n'
        "[index]\nbootstrap = 10\n",
        encoding="utf-8",
    )
    out = tmp_path / "reports"
    code = main(["report", str(csv), "--config", str(toml), "--by", "region", "--out", str(out)])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["North.html", "South.html", "cover.html"]
    assert (
        main(["report", str(csv), "--config", str(toml), "--by", "district", "--out", str(out)])
        == 2
    )
    demo = tmp_path / "demo"
    assert main(["demo", "--report", str(demo), "--language", "zh"]) == 0
    names = sorted(p.name for p in demo.iterdir())
    assert names == ["demo_report.html", "demo_report.pdf", "demo_report.xlsx"]
    text = _flat(_pdf_text(demo / "demo_report.pdf"))
    for title in (
        "数据描述",
        "指数模型",
        "驱动因素",
        "SERVQUAL",
        "Kano",
        "层次分析法",
        "模糊综合评价",
        "趋势与预警",
    ):
        assert title in text


@pytest.mark.skipif(CJK is None, reason="no CJK font installed (fonts-noto-cjk)")
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_section_chart_renders_chinese_labels(language: str) -> None:
    sections = {
        "data": ex("DescriptionResult"),
        "index": ex("PLSResult"),
        "drivers": ex("PLSResult"),
        "servqual": ex("SERVQUALResult"),
        "kano": ex("KanoResult"),
        "ahp": ex("AHPHierarchyResult"),
        "fce": ex("FCETreeResult"),
        "trends": ex("TrendResult"),
    }
    report = Report(sections, template=ReportTemplate(language=language))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        charts = [c for s in report.sections for c in s.charts(language, "label")]
    assert len(charts) >= 10
    assert [str(w.message) for w in caught if "Glyph" in str(w.message)] == []


def test_drivers_reading_of_a_driver_analysis() -> None:
    res = ex("DriverAnalysisResult")
    r = Report({"drivers": res}).sections[0].reading
    lmg = res.importance["lmg"]
    top = lmg.idxmax()
    assert r.facts["top"] == top and f"lmg importance {lmg[top]:.3f}" in r.text
    row = res.table.loc[("lmg", top)]
    if np.isfinite(row["ci_lower"]) and np.isfinite(row["ci_upper"]):
        assert f"95 % CI {row['ci_lower']:.3f}–{row['ci_upper']:.3f}" in r.text
    else:  # no interval: none is stated
        assert "CI" not in r.text and "nan" not in r.text
    with pytest.raises(SpecificationError, match="a drivers section needs"):
        Report({"drivers": ex("AHPResult")})


def test_data_reading_states_the_description() -> None:
    data = csi.datasets.load_example("acsi_demo")
    res = ex("DescriptionResult")
    text = Report({"data": res}).sections[0].reading.text
    means = data.frame[list(data.items)].replace(99, np.nan).mean()  # unweighted check
    table = res.table
    best, worst = table["mean"].idxmax(), table["mean"].idxmin()
    assert text.startswith(f"{data.n_respondents} respondents answered {len(data.items)} items")
    assert (
        f"{best} ({table.loc[best, 'label']}) with a mean of {table.loc[best, 'mean']:.2f}" in text
    )
    assert (
        f"the lowest {worst} ({table.loc[worst, 'label']}) with {table.loc[worst, 'mean']:.2f}"
        in text
    )
    share = data.frame[list(data.items)].isna().to_numpy().mean()
    assert f"{100 * share:.1f} % of the answers are missing" in text
    assert abs(means[best] - table.loc[best, "mean"]) < 0.05  # weighted vs unweighted mean


def test_index_section_by_segment_reads_the_pooled_fit_and_charts_the_segments() -> None:
    seg = ex("SegmentedResult")  # ACSI by region with the pooled fit
    report = Report({"index": seg})
    section = report.sections[0]
    pooled = seg.pooled.indices.loc["Satisfaction", "index"]
    assert section.reading.facts["index"] == pooled
    assert [c.caption for c in section.charts("en", "label")] == [
        "Structural model",
        "Indices by segment",
        "Segment ranking",
    ]
    no_pooled = seg.model_copy(update={"pooled": None})
    with pytest.raises(SpecificationError, match="without a pooled fit"):
        Report({"index": no_pooled})
