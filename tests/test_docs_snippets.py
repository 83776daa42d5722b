"""Every ```python block of README.md and docs/**/*.md runs as written.

Blocks run per page, in order, in one namespace, in a temporary directory, on the
bundled or simulated data (the same runner the docs build uses for figure blocks,
``docs/hooks.py``). A block preceded by ``<!-- illustrative -->`` is not run; the
test keeps those few.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("csimodels_docs_hooks", ROOT / "docs" / "hooks.py")
assert _spec is not None and _spec.loader is not None
hooks = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = hooks
_spec.loader.exec_module(hooks)

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
WITH_CODE = [p for p in PAGES if hooks.python_blocks(p.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("page", WITH_CODE, ids=[p.relative_to(ROOT).as_posix() for p in WITH_CODE])
def test_page_snippets_run(page: Path) -> None:
    blocks = hooks.python_blocks(page.read_text(encoding="utf-8"))
    hooks.run_page(blocks, label=page.relative_to(ROOT).as_posix())


def test_illustrative_blocks_are_few() -> None:
    illustrative = [
        (p.name, b.code.splitlines()[0] if b.code else "")
        for p in PAGES
        for b in hooks.python_blocks(p.read_text(encoding="utf-8"))
        if b.kind == "illustrative"
    ]
    total = sum(len(hooks.python_blocks(p.read_text(encoding="utf-8"))) for p in PAGES)
    assert len(illustrative) <= max(3, total // 10), illustrative


def test_block_parser_reads_markers() -> None:
    text = (
        "x\n\n```python\na = 1\n```\n\n<!-- illustrative -->\n```python\nb = 2\n```\n\n"
        "<!-- figure: paths | The paths -->\n```python\nc = 3\n```\n\n```bash\nls\n```\n"
    )
    blocks = hooks.python_blocks(text)
    assert [(b.kind, b.name, b.caption, b.code) for b in blocks] == [
        ("run", "", "", "a = 1"),
        ("illustrative", "", "", "b = 2"),
        ("figure", "paths", "The paths", "c = 3"),
    ]


def test_flat_nav_is_grouped_into_menus() -> None:
    flat = [
        {"Home": "index.md"},
        {"Getting started": "getting-started.md"},
        {"CSI": "csi.md"},
        {"API reference": "api.md"},
        {"Changelog": "changelog.md"},
        {"A new family": "new.md"},  # appended at the end by whoever adds a family
        {"中文快速入门": "zh/quickstart.md"},
    ]
    nav = hooks.group_nav(flat, [{"Overview": "api.md"}], [{"NB": "notebooks/x.md"}])
    assert nav == [
        {"Home": "index.md"},
        {
            "Start here": [
                {"Getting started": "getting-started.md"},
                {"中文快速入门": "zh/quickstart.md"},
            ]
        },
        {"Methods": [{"CSI": "csi.md"}, {"A new family": "new.md"}]},
        {"API reference": [{"Overview": "api.md"}]},
        {"Notebooks": [{"NB": "notebooks/x.md"}]},
        {"Changelog": "changelog.md"},
    ]
