"""Griffe extension: turn the Sphinx roles in csimodels' docstrings into links and maths.

The docstrings are numpydoc written with Sphinx roles (``:class:`SurveyData```,
``:meth:`fit```, ``:math:`\\bar x```). mkdocstrings renders Markdown, where those
roles would show as literal text. Once griffe has loaded the whole package, this
extension rewrites every docstring:

- ``:class:`` / ``:meth:`` / ``:func:`` / ``:attr:`` / ``:mod:`` / ``:data:`` /
  ``:obj:`` / ``:exc:`` become an *optional* autorefs cross-reference: a link when
  the target is rendered on some page of the site, inline code otherwise (never a
  broken link, never a warning). Targets are resolved the way Sphinx resolves them:
  absolute (``csimodels.x.Y``), relative (``.x``), a member of the documented
  object or its class (``fit``), a name in the same module, a public name of the
  package, or else a unique object of that name anywhere in the package.
  ``~a.b.C`` shows ``C``.
- ``:math:`...``` becomes arithmatex inline maths ``\\(...\\)`` (MathJax, served from
  the site itself).
- a reST literal-block marker (a paragraph ending in ``::``) becomes ``:``.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(class|meth|func|attr|mod|data|obj|exc|const):`([^`]+)`")
MATH = re.compile(r":math:`([^`]+)`")
LITERAL = re.compile(r"(?m)(\S)::[ \t]*$")


def _walk(obj: griffe.Object, seen: set[int]) -> Any:
    if id(obj) in seen:
        return
    seen.add(id(obj))
    yield obj
    for member in obj.members.values():
        if member.is_alias:
            continue
        yield from _walk(member, seen)  # type: ignore[arg-type]


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles into autorefs cross-references and arithmatex maths."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        objects = list(_walk(pkg, set()))
        self.paths: dict[str, griffe.Object] = {o.path: o for o in objects}
        self.by_name: dict[str, list[str]] = {}
        for o in objects:
            self.by_name.setdefault(o.name, []).append(o.path)
        self.pkg = pkg
        for o in objects:
            if o.docstring is not None:
                o.docstring.value = self._rewrite(o, o.docstring.value)
                o.docstring.__dict__.pop("parsed", None)

    # ------------------------------------------------------------------ resolution
    def _exists(self, path: str) -> str | None:
        if path in self.paths:
            return path
        head, _, tail = path.rpartition(".")
        # public alias such as csimodels.SurveyData -> its canonical path
        parent = self.paths.get(head)
        if parent is not None and tail in parent.members:
            member = parent.members[tail]
            try:
                return member.final_target.path if member.is_alias else member.path  # type: ignore[union-attr]
            except Exception:
                return None
        return None

    def _resolve(self, obj: griffe.Object, target: str) -> str | None:
        module = obj.module
        if target.startswith("."):
            base = module.path if module.is_init_module else module.parent.path  # type: ignore[union-attr]
            return self._exists(base + target) or self._exists(module.path + target)
        candidates = [target]
        scope: griffe.Object | None = obj
        while scope is not None:
            candidates.append(f"{scope.path}.{target}")
            scope = scope.parent  # type: ignore[assignment]
        candidates.append(f"{self.pkg.path}.{target}")
        for candidate in candidates:
            found = self._exists(candidate)
            if found:
                return found
        last = target.rsplit(".", 1)[-1]
        matches = [p for p in self.by_name.get(last, []) if p.endswith(target)]
        if len(matches) == 1:
            return matches[0]
        public = [p for p in matches if "._" not in p]
        if len(public) == 1:
            return public[0]
        return None

    def _role(self, obj: griffe.Object, match: re.Match[str]) -> str:
        kind, target = match.group(1), match.group(2).strip()
        shown = target
        explicit = re.fullmatch(r"(.+?)\s*<(.+)>", target)  # :class:`title <target>`
        if explicit:
            shown, target = explicit.group(1), explicit.group(2)
        elif target.startswith("~"):
            target = target[1:]
            shown = target.rsplit(".", 1)[-1]
        target = target.lstrip("~")
        if kind in ("meth", "func") and not shown.endswith(")") and not explicit:
            shown += "()"
        code = f"<code>{html.escape(shown)}</code>"
        path = self._resolve(obj, target)
        if path is None:
            return code
        return f'<autoref identifier="{html.escape(path)}" optional>{code}</autoref>'

    def _rewrite(self, obj: griffe.Object, text: str) -> str:
        text = MATH.sub(lambda m: "\\(" + m.group(1) + "\\)", text)
        text = ROLE.sub(lambda m: self._role(obj, m), text)
        return LITERAL.sub(lambda m: m.group(1) + ":", text)
