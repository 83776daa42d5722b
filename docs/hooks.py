"""MkDocs hooks for the csimodels site (registered in ``mkdocs.yml`` under ``hooks:``).

What they do, at build time and offline:

- **API reference per family.** ``docs/api.md`` stays the one list engineers append
  to; every ``## Section`` of it becomes its own page ``api/<slug>.md`` (added to the
  nav under *API reference*), and ``api.md`` itself becomes the index of those pages.
- **Figures from code.** A ```` ```python ```` block preceded by the line
  ``<!-- figure: NAME | Caption -->`` is a figure source: the page's Python blocks
  are run in order in one namespace (as the snippet test runs them), every
  matplotlib figure open after a figure block is saved as ``figures/<page>-NAME.png``
  and shown right after the block. Nothing is committed as an image.
- **Executed notebooks.** Each ``notebooks/*.ipynb`` becomes a page
  ``notebooks/<name>.md``; its cells are executed in-process (stdout, the value of
  the last expression — HTML for tables — and figures are shown under each cell).
- **Maths.** MathJax 3 (SVG output, fonts inside the one script) is copied into the
  site from the ``django-static-mathjax`` wheel; pages and docstrings use arithmatex.
- **Highlighting** with Pygments (no CDN): ``css/pygments.css`` is generated.

Figure and notebook outputs are cached under ``$CSIMODELS_DOCS_CACHE`` (default
``~/.cache/csimodels-docs``), keyed by the code and a hash of the csimodels sources,
so a second build does not recompute them.

A block preceded by ``<!-- illustrative -->`` is shown but never run (neither here
nor by ``tests/test_docs_snippets.py``); keep such blocks few.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import hashlib
import html
import io
import json
import logging
import os
import pickle
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run the library of this tree, not another install
    sys.path.insert(0, str(ROOT))

log = logging.getLogger("mkdocs.hooks.csimodels")

FENCE = re.compile(
    r"^(?P<marker>[ \t]*<!--\s*(?P<kind>figure|illustrative)\b(?P<args>[^>]*?)-->[ \t]*\n)?"
    r"(?P<indent>[ \t]*)```(?P<lang>[\w+-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.M | re.S,
)


@dataclass(frozen=True)
class Block:
    """A fenced ```python block of a Markdown page."""

    code: str
    kind: str  # "run", "figure" or "illustrative"
    name: str
    caption: str
    end: int  # offset just after the closing fence


def python_blocks(text: str) -> list[Block]:
    """The ```python blocks of ``text`` in order, with their figure/illustrative marks."""
    blocks = []
    for m in FENCE.finditer(text):
        if m.group("lang") not in ("python", "py", "pycon"):
            continue
        indent = len(m.group("indent"))
        body = "\n".join(line[indent:] for line in m.group("body").splitlines())
        kind = m.group("kind") or "run"
        name, caption = "", ""
        if kind == "figure":
            name, _, caption = (m.group("args") or "").strip(" :").partition("|")
            name, caption = name.strip(), caption.strip()
            if not re.fullmatch(r"[\w-]+", name):
                raise ValueError(
                    f"figure marker needs a name: <!-- figure: NAME | Caption -->, got {name!r}"
                )
        blocks.append(Block(body, kind, name, caption, m.end()))
    return blocks


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _docs_rc() -> dict[str, Any]:
    """Fonts for docs figures: Latin in DejaVu Sans, Chinese glyphs from the CJK font."""
    from csimodels.plotting import cjk_font

    family = cjk_font()
    return {"font.family": ["DejaVu Sans", family] if family else ["DejaVu Sans"]}


def _figures_png(plt: Any) -> list[bytes]:
    out = []
    for num in plt.get_fignums():
        buf = io.BytesIO()
        plt.figure(num).savefig(buf, format="png", dpi=110, bbox_inches="tight")
        out.append(buf.getvalue())
    plt.close("all")
    return out


def run_page(blocks: list[Block], *, label: str) -> dict[str, list[bytes]]:
    """Run a page's blocks in one namespace (in a temporary directory).

    Returns the PNGs saved after each figure block, by figure name. An exception in a
    block propagates, annotated with the page and the block number.
    """
    plt = _pyplot()
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    figures: dict[str, list[bytes]] = {}
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp, plt.rc_context(_docs_rc()):
        os.chdir(tmp)
        try:
            for i, block in enumerate(blocks, 1):
                if block.kind == "illustrative":
                    continue
                try:
                    with contextlib.redirect_stdout(io.StringIO()):
                        exec(compile(block.code, f"<{label} block {i}>", "exec"), namespace)
                except Exception as exc:
                    raise RuntimeError(f"{label}: python block {i} failed: {exc!r}") from exc
                pngs = _figures_png(plt)
                if block.kind == "figure":
                    if not pngs:
                        raise RuntimeError(f"{label}: figure block {block.name!r} drew no figure")
                    figures[block.name] = pngs
        finally:
            os.chdir(cwd)
            plt.close("all")
    return figures


# ----------------------------------------------------------------------------- cache
def _library_hash() -> str:
    h = hashlib.sha256()
    for path in sorted((ROOT / "csimodels").rglob("*.py")):
        h.update(path.as_posix().encode())
        h.update(path.read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()


def _cached(key_text: str, compute: Any) -> Any:
    base = Path(os.environ.get("CSIMODELS_DOCS_CACHE", Path.home() / ".cache" / "csimodels-docs"))
    key = hashlib.sha256((_LIB_HASH[0] + key_text).encode()).hexdigest()
    path = base / f"{key}.pkl"
    if path.exists():
        with contextlib.suppress(Exception):
            return pickle.loads(path.read_bytes())
    value = compute()
    with contextlib.suppress(OSError):
        base.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(value))
    return value


_LIB_HASH = [""]


# ----------------------------------------------------------------------------- notebooks
def _run_cell(
    source: str, namespace: dict[str, Any], plt: Any, label: str
) -> list[tuple[str, str]]:
    """Execute one notebook cell; return its outputs as (mime, payload) pairs."""
    tree = ast.parse(source)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr) and not source.rstrip().endswith(";"):
        last = ast.Expression(tree.body.pop().value)
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        exec(compile(tree, label, "exec"), namespace)
        value = eval(compile(last, label, "eval"), namespace) if last is not None else None
    outputs: list[tuple[str, str]] = []
    if stdout.getvalue():
        outputs.append(("text", stdout.getvalue()))
    if value is not None and not type(value).__module__.startswith("matplotlib"):
        rich = getattr(value, "_repr_html_", None)
        rendered = rich() if callable(rich) else None
        outputs.append(("html", rendered) if rendered else ("text", repr(value)))
    for png in _figures_png(plt):
        outputs.append(("png", base64.b64encode(png).decode()))
    return outputs


def notebook_title(nb: dict[str, Any], fallback: str) -> str:
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def render_notebook(path: Path) -> str:
    """The notebook as a Markdown page, executed in-process (cwd = its folder)."""
    nb = json.loads(path.read_text(encoding="utf-8"))

    def compute() -> list[list[tuple[str, str]]]:
        plt = _pyplot()
        namespace: dict[str, Any] = {"__name__": "__main__"}
        cwd = os.getcwd()
        os.chdir(path.parent)
        results = []
        context = plt.rc_context(_docs_rc())
        context.__enter__()
        try:
            for i, cell in enumerate(nb["cells"]):
                if cell["cell_type"] == "code":
                    label = f"<{path.name} cell {i}>"
                    try:
                        results.append(_run_cell("".join(cell["source"]), namespace, plt, label))
                    except Exception as exc:
                        raise RuntimeError(f"{path.name}: cell {i} failed: {exc!r}") from exc
        finally:
            context.__exit__(None, None, None)
            os.chdir(cwd)
            plt.close("all")
        return results

    outputs = iter(_cached(path.read_text(encoding="utf-8"), compute))
    parts = [
        f"<!-- generated from notebooks/{path.name} by docs/hooks.py; executed at build time -->\n",
        f"*Executed notebook* `notebooks/{path.name}`.\n",
    ]
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            parts.append(source + "\n")
        elif cell["cell_type"] == "code":
            parts.append(f"```python\n{source}\n```\n")
            for mime, payload in next(outputs):
                if mime == "text":
                    parts.append(f'<pre class="nb-output">{html.escape(payload.rstrip())}</pre>\n')
                elif mime == "html":
                    parts.append(f'<div class="nb-output">\n{payload}\n</div>\n')
                else:
                    src = f"data:image/png;base64,{payload}"
                    parts.append(f'<p><img class="nb-figure" alt="figure" src="{src}"></p>\n')
    # the notebook's own "# Title" stays the page title; the note goes after it
    text = "\n".join(parts)
    first = text.find("\n# ")
    if first > 0:
        end = text.find("\n", first + 3)
        head = text[:first]
        text = text[first + 1 : end + 1] + "\n" + head + text[end + 1 :]
    return text


# ----------------------------------------------------------------------------- API split
def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def api_sections() -> tuple[str, list[tuple[str, str, str]]]:
    """(intro, [(title, slug, body)]) of docs/api.md, split at its ``## `` headings."""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    chunks = re.split(r"(?m)^## +(.+?)\s*$", text)
    intro, sections = chunks[0], []
    for title, body in zip(chunks[1::2], chunks[2::2], strict=True):
        # the section moves one folder down (api/<slug>.md): relative links follow it
        body = re.sub(r"\]\((?![a-z]+:|/|#)([^)]+)\)", r"](../\1)", body)
        sections.append((title, _slug(title), body.strip() + "\n"))
    return intro, sections


# ----------------------------------------------------------------------------- nav
#: pages of the "Start here" menu; every other page of mkdocs.yml's flat nav (the
#: method families, appended there by whoever adds one) goes under "Methods"
START_PAGES = (
    "getting-started.md",
    "zh/quickstart.md",
    "migration.md",
    "data.md",
    "results.md",
    "scaling.md",
)
TOP_PAGES = ("index.md", "changelog.md")


def group_nav(flat: list[Any], api_nav: list[Any], nb_nav: list[Any]) -> list[Any]:
    """Group mkdocs.yml's flat nav into menus: Start here, Methods, API, Notebooks."""
    home, start, methods, api, changelog = [], [], [], [], []
    for item in flat:
        target = next(iter(item.values())) if isinstance(item, dict) else item
        if target == "api.md":
            api.append({next(iter(item)): api_nav})
        elif target == "index.md":
            home.append(item)
        elif target == "changelog.md":
            changelog.append(item)
        elif isinstance(target, str) and target in START_PAGES:
            start.append(item)
        else:
            methods.append(item)
    start.sort(
        key=lambda i: START_PAGES.index(next(iter(i.values())) if isinstance(i, dict) else i)
    )
    nav = (
        home
        + ([{"Start here": start}] if start else [])
        + ([{"Methods": methods}] if methods else [])
    )
    nav += api + ([{"Notebooks": nb_nav}] if nb_nav else []) + changelog
    return nav


# ----------------------------------------------------------------------------- hooks
_STATE: dict[str, Any] = {}


def on_config(config: Any) -> Any:
    _LIB_HASH[0] = _library_hash()
    intro, sections = api_sections()
    _STATE["api"] = (intro, sections)
    api_nav = [{"Overview": "api.md"}] + [{title: f"api/{slug}.md"} for title, slug, _ in sections]
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    _STATE["notebooks"] = notebooks
    nb_nav = []
    for path in notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        nb_nav.append({notebook_title(nb, path.stem): f"notebooks/{path.stem}.md"})
    config["nav"] = group_nav(config["nav"] or [], api_nav, nb_nav)
    return config


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File
    from pygments.formatters import HtmlFormatter

    try:
        import mathjax
    except ImportError as exc:  # pragma: no cover - a missing docs dependency
        raise RuntimeError(
            'the docs need MathJax: pip install -e ".[docs]" (django-static-mathjax)'
        ) from exc
    script = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / "tex-svg.js"
    files.append(File.generated(config, "js/mathjax/tex-svg.js", abs_src_path=str(script)))
    css = HtmlFormatter(style="friendly").get_style_defs(".highlight")
    files.append(File.generated(config, "css/pygments.css", content=css))

    _, sections = _STATE["api"]
    for title, slug, body in sections:
        files.append(File.generated(config, f"api/{slug}.md", content=f"# {title}\n\n{body}"))
    for path in _STATE["notebooks"]:
        files.append(
            File.generated(config, f"notebooks/{path.stem}.md", content=render_notebook(path))
        )

    figures: dict[str, list[tuple[Block, list[str]]]] = {}
    for file in list(files):
        if not file.src_uri.endswith(".md") or file.abs_src_path is None or file.generated_by:
            continue
        text = Path(file.abs_src_path).read_text(encoding="utf-8")
        if "<!-- figure" not in text:
            continue
        blocks = python_blocks(text)
        code = "\n# ----\n".join(f"{b.kind}:{b.name}\n{b.code}" for b in blocks)
        pngs = _cached(code, lambda blocks=blocks, uri=file.src_uri: run_page(blocks, label=uri))
        stem = file.src_uri[:-3].replace("/", "-")
        page_figs = []
        for block in blocks:
            if block.kind != "figure":
                continue
            uris = []
            for k, png in enumerate(pngs[block.name], 1):
                uri = f"figures/{stem}-{block.name}{'' if k == 1 else f'-{k}'}.png"
                files.append(File.generated(config, uri, content=png))
                uris.append(uri)
            page_figs.append((block, uris))
        figures[file.src_uri] = page_figs
    _STATE["figures"] = figures
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    src = page.file.src_uri
    if src == "api.md":
        intro, sections = _STATE["api"]
        lines = [intro.rstrip(), ""]
        lines.append("One page per family (the search box finds any class or function):\n")
        for title, slug, body in sections:
            names = re.findall(r"(?m)^::: +(\S+)", body)
            shown = ", ".join(f"`{n.rsplit('.', 1)[-1]}`" for n in names[:8])
            more = f" and {len(names) - 8} more" if len(names) > 8 else ""
            lines.append(f"- [{title}](api/{slug}.md): {shown}{more}")
        return "\n".join(lines) + "\n"
    page_figs = _STATE.get("figures", {}).get(src)
    if not page_figs:
        return markdown
    depth = src.count("/")
    prefix = "../" * depth
    by_name = {block.name: uris for block, uris in page_figs}
    out, last = [], 0
    for block in python_blocks(markdown):
        if block.kind != "figure":
            continue
        out.append(markdown[last : block.end])
        imgs = "".join(
            f"\n\n![{block.caption or block.name}]({prefix}{uri})" for uri in by_name[block.name]
        )
        caption = f"\n\n*{block.caption}*" if block.caption else ""
        out.append(imgs + caption + "\n")
        last = block.end
    out.append(markdown[last:])
    return "".join(out)
