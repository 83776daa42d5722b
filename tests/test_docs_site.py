"""The documentation site builds strictly and renders what it promises (issue 21).

One ``mkdocs build --strict`` into a temporary directory, then the HTML is scanned:
no Sphinx role left as literal text, no broken internal link or anchor, every method
page shows its figures (PNGs generated at build time by ``docs/hooks.py``), maths
is marked up for the MathJax copy served by the site itself, nothing is loaded from
another host, the API reference is one page per family and the search index finds a
class, and the notebooks are pages with their outputs. Figure and notebook outputs
are cached between builds (see ``docs/hooks.py``), so a second build takes seconds.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: method pages that must show at least one figure generated from code
FIGURE_PAGES = (
    "csi",
    "importance",
    "trends",
    "servqual",
    "kano",
    "fce",
    "planning",
    "events",
    "explore",
    "zh/quickstart",
)
ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|mod|data|math|obj|exc|const):(?:`|<code>)")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        for name in ("href", "src"):
            value = values.get(name)
            if value is not None:
                self.links.append((tag, value))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out


def _pages(site: Path) -> Iterator[Path]:
    yield from sorted(site.rglob("*.html"))


def test_no_literal_sphinx_roles(site: Path) -> None:
    found = {}
    for page in _pages(site):
        hits = ROLE.findall(page.read_text(encoding="utf-8"))
        if hits:
            found[page.relative_to(site).as_posix()] = len(hits)
    assert not found, found


def test_internal_links_and_anchors_resolve(site: Path) -> None:
    parsed: dict[Path, _Links] = {}
    for page in _pages(site):
        if page.name == "404.html":  # written with root-absolute links for any URL
            continue
        p = _Links()
        p.feed(page.read_text(encoding="utf-8"))
        parsed[page] = p
    broken = []
    for page, p in parsed.items():
        for tag, link in p.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "data:", "javascript:")):
                continue
            if not parts.path:
                target = page
            elif parts.path.startswith("/"):
                target = site / unquote(parts.path).lstrip("/")
            else:
                target = (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {link}")
            elif parts.fragment and target.suffix == ".html" and tag == "a":
                ids = parsed[target].ids if target in parsed else set()
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(site)} -> {link} (no such anchor)")
    assert not broken, broken[:20]


def test_nothing_is_loaded_from_another_host(site: Path) -> None:
    remote = re.compile(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="(?:https?:)?//', re.I)
    offenders = [
        p.relative_to(site).as_posix() for p in _pages(site) if remote.search(p.read_text("utf-8"))
    ]
    assert not offenders, offenders


def test_method_pages_show_their_figures(site: Path) -> None:
    for name in FIGURE_PAGES:
        html = (site / name / "index.html").read_text(encoding="utf-8")
        srcs = re.findall(r'<img[^>]+src="([^"]*figures/[^"]+\.png)"', html)
        assert srcs, f"{name}: no figure"
        for src in srcs:
            png = (site / name / src).resolve()
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{name}: {src} is not a PNG"
            assert png.stat().st_size > 5_000, f"{name}: {src} looks empty"
    # every figure block of every page became an image
    for md in (ROOT / "docs").rglob("*.md"):
        n_blocks = md.read_text(encoding="utf-8").count("<!-- figure:")
        if n_blocks:
            rel = md.relative_to(ROOT / "docs").with_suffix("").as_posix()
            html = (site / rel / "index.html").read_text(encoding="utf-8")
            assert html.count("figures/") >= n_blocks, rel


def test_maths_is_rendered_by_the_sites_own_mathjax(site: Path) -> None:
    script = site / "js" / "mathjax" / "tex-svg.js"
    assert script.stat().st_size > 1_000_000
    csi_page = (site / "csi" / "index.html").read_text(encoding="utf-8")
    assert 'class="arithmatex"' in csi_page and "js/mathjax/tex-svg.js" in csi_page
    trends_api = (site / "api" / "trend-monitoring-and-early-warning" / "index.html").read_text(
        "utf-8"
    )
    assert trends_api.count('class="arithmatex"') >= 10  # the :math: roles of the docstrings


def test_api_reference_is_split_and_searchable(site: Path) -> None:
    api_pages = sorted(p.parent.name for p in (site / "api").glob("*/index.html"))
    assert len(api_pages) >= 10 and "data" in api_pages
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {doc["location"] for doc in index["docs"]}
    assert any(
        loc.startswith("api/data/") and loc.endswith("#csimodels.SurveyData") for loc in locations
    )
    assert any(loc.endswith("#csimodels.trends.TrendMonitor") for loc in locations)
    # cross-references of docstrings became links
    data_page = (site / "api" / "data" / "index.html").read_text(encoding="utf-8")
    assert data_page.count('class="autorefs autorefs-internal"') >= 5


def test_notebooks_are_pages_with_outputs(site: Path) -> None:
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    for nb in notebooks:
        html = (site / "notebooks" / nb.stem / "index.html").read_text(encoding="utf-8")
        assert html.count('class="nb-output"') + html.count('class="nb-figure"') >= 2, nb.name


def test_chinese_quick_start_and_migration_pages(site: Path) -> None:
    zh = (site / "zh" / "quickstart" / "index.html").read_text(encoding="utf-8")
    for word in ("顾客满意度指数", "重要性–绩效", "SERVQUAL", "Kano", "层次分析法", "模糊综合评价"):
        assert word in zh, word
    migration = (site / "migration" / "index.html").read_text(encoding="utf-8")
    for word in ("SmartPLS", "seminr", "semopy", "lavaan", "SPSS", "NaN"):
        assert word in migration, word
    assert (site / "changelog" / "index.html").exists()
