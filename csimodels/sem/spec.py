"""Model specification: constructs, their indicators and measurement mode, and paths."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import model_validator

from csimodels._settings import Settings
from csimodels.errors import SpecificationError, format_offenders

__all__ = ["Construct", "ModelSpec"]

Mode = Literal["reflective", "formative"]
_MODE_ALIASES = {
    "reflective": "reflective",
    "a": "reflective",
    "formative": "formative",
    "b": "formative",
}
_OPERATORS = {"=~": "reflective", "<~": "formative"}


class Construct(Settings):
    """A latent construct measured by indicator columns.

    Attributes
    ----------
    name : str
        Construct name (any language).
    indicators : tuple of str
        Item columns measuring it.
    mode : {"reflective", "formative"}
        Reflective (PLS Mode A) or formative (Mode B) measurement.
    label : str, optional
        A human label, e.g. a Chinese alias ("感知质量").

    Examples
    --------
    >>> Construct(name="Value", indicators=("PERV1", "PERV2")).mode
    'reflective'
    """

    name: str
    indicators: tuple[str, ...]
    mode: Mode = "reflective"
    label: str | None = None


class ModelSpec(Settings):
    """A structural equation model: constructs with indicators, and directed paths.

    Build it from Python objects, with :meth:`from_mapping`, or from lavaan-like syntax
    with :meth:`from_syntax` (``=~`` reflective, ``<~`` formative, ``~`` regression);
    :meth:`to_syntax` prints it back. Validation raises :class:`SpecificationError`
    naming the construct or item at fault: a construct with no indicator, an indicator
    used twice, an unknown construct in a path, duplicate paths, a self-loop, a cycle,
    or a construct connected to nothing.

    Attributes
    ----------
    constructs : tuple of Construct
    paths : tuple of (str, str)
        Structural paths ``(from, to)``.

    Examples
    --------
    >>> spec = ModelSpec.from_syntax('''
    ...     Image =~ IMAG1 + IMAG2
    ...     Satisfaction =~ CUSA1 + CUSA2
    ...     Satisfaction ~ Image
    ... ''')
    >>> spec.paths
    (('Image', 'Satisfaction'),)
    >>> print(spec.to_syntax())
    Image =~ IMAG1 + IMAG2
    Satisfaction =~ CUSA1 + CUSA2
    Satisfaction ~ Image
    """

    constructs: tuple[Construct, ...]
    paths: tuple[tuple[str, str], ...]

    @model_validator(mode="after")
    def _validate(self) -> ModelSpec:
        names = [c.name for c in self.constructs]
        if not names:
            raise SpecificationError("the model has no constructs; declare at least one")
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SpecificationError(
                f"construct {format_offenders(dupes)} is declared more than once"
            )
        owner: dict[str, str] = {}
        for c in self.constructs:
            if not c.indicators:
                raise SpecificationError(
                    f"construct {c.name!r} has no indicator; give it at least one item column"
                )
            for item in c.indicators:
                if item in owner:
                    where = (
                        f"twice in {c.name!r}"
                        if owner[item] == c.name
                        else f"by both {owner[item]!r} and {c.name!r}"
                    )
                    raise SpecificationError(
                        f"indicator {item!r} is used {where}; an indicator measures one "
                        "construct once"
                    )
                owner[item] = c.name
        known = set(names)
        seen: set[tuple[str, str]] = set()
        for src, dst in self.paths:
            unknown = sorted({src, dst} - known)
            if unknown:
                raise SpecificationError(
                    f"path {src} -> {dst} names {format_offenders(unknown)}, which "
                    f"{'is not a construct' if len(unknown) == 1 else 'are not constructs'} "
                    f"of this model; constructs: {format_offenders(sorted(known))}"
                )
            if src == dst:
                raise SpecificationError(f"path {src} -> {dst} points a construct at itself")
            if (src, dst) in seen:
                raise SpecificationError(f"path {src} -> {dst} is declared more than once")
            seen.add((src, dst))
        if len(names) > 1:
            linked = {n for p in self.paths for n in p}
            isolated = [n for n in names if n not in linked]
            if isolated:
                raise SpecificationError(
                    f"construct {format_offenders(isolated)} is connected to nothing; "
                    "add a path to or from it, or remove it"
                )
        cycle = _find_cycle(names, self.paths)
        if cycle:
            raise SpecificationError(
                "the structural model has a cycle: "
                + " -> ".join(cycle)
                + "; PLS path models must be recursive"
            )
        return self

    # -- builders ------------------------------------------------------------------------
    @classmethod
    def from_mapping(
        cls,
        indicators: Mapping[str, Sequence[str]],
        paths: Sequence[tuple[str, str]],
        *,
        modes: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> ModelSpec:
        """Build a spec from ``{construct: [items]}`` and a list of paths.

        Examples
        --------
        >>> spec = ModelSpec.from_mapping({"A": ["a1", "a2"], "B": ["b1"]}, [("A", "B")],
        ...                               modes={"A": "formative"})
        >>> spec.get_construct("A").mode
        'formative'
        """
        if not isinstance(indicators, Mapping):
            raise SpecificationError(
                "indicators must be a dict of construct to item columns "
                f"(e.g. {{'Image': ['IMAG1', 'IMAG2']}}), got {type(indicators).__name__}"
            )
        for what, value in (("modes", modes), ("labels", labels)):
            if value is not None and not isinstance(value, Mapping):
                raise SpecificationError(
                    f"{what} must be a dict keyed by construct, got {type(value).__name__}"
                )
        path_list = _path_pairs(paths, "paths")
        modes = dict(modes or {})
        labels = dict(labels or {})
        unknown = sorted((set(modes) | set(labels)) - set(indicators))
        if unknown:
            raise SpecificationError(
                f"modes/labels name {format_offenders(unknown)}, which "
                "are not constructs of this model"
            )
        constructs = []
        for name, items in indicators.items():
            if not isinstance(name, str):
                raise SpecificationError(
                    f"construct names must be strings, got {name!r} ({type(name).__name__})"
                )
            if isinstance(items, str) or not isinstance(items, (Sequence, tuple, list)):
                raise SpecificationError(
                    f"indicators of {name!r} must be a list of column names, "
                    f"not {'one string' if isinstance(items, str) else type(items).__name__}"
                )
            bad = [i for i in items if not isinstance(i, str)]
            if bad:
                raise SpecificationError(
                    f"indicators of {name!r} must be column names (strings), got "
                    f"{format_offenders([repr(b) for b in bad])}"
                )
            constructs.append(
                Construct(
                    name=name,
                    indicators=tuple(items),
                    mode=_mode(modes.get(name, "reflective"), name),
                    label=labels.get(name),
                )
            )
        return cls(constructs=tuple(constructs), paths=path_list)

    @classmethod
    def from_syntax(cls, text: str) -> ModelSpec:
        """Parse lavaan-like syntax.

        One statement per line (``;`` also separates statements; ``#`` starts a comment):
        ``C =~ x1 + x2`` (reflective), ``C <~ x1 + x2`` (formative), ``Y ~ X1 + X2``
        (paths X1 → Y and X2 → Y).

        Examples
        --------
        >>> ModelSpec.from_syntax("V <~ v1 + v2; S =~ s1; S ~ V").get_construct("V").mode
        'formative'
        """
        if not isinstance(text, str):
            raise SpecificationError(
                f"from_syntax needs the model syntax as a string (e.g. 'Image =~ IMAG1 + "
                f"IMAG2'), got {'None' if text is None else type(text).__name__}"
            )
        indicators: dict[str, list[str]] = {}
        modes: dict[str, str] = {}
        paths: list[tuple[str, str]] = []
        statements = [
            s.split("#", 1)[0].strip() for line in text.splitlines() for s in line.split(";")
        ]
        for statement in statements:
            if not statement:
                continue
            match = re.fullmatch(r"(.+?)\s*(=~|<~|~~|~)\s*(.+)", statement)
            if not match:
                raise SpecificationError(
                    f"cannot read statement {statement!r}: expected 'C =~ x1 + x2', "
                    "'C <~ x1 + x2' or 'Y ~ X1 + X2'"
                )
            lhs, op, rhs = match.group(1).strip(), match.group(2), match.group(3)
            terms = [t.strip() for t in rhs.split("+")]
            if not lhs or any(not t for t in terms) or any(" " in t for t in [*terms]):
                raise SpecificationError(
                    f"cannot read statement {statement!r}: names must be single words joined by '+'"
                )
            if op == "~~":
                raise SpecificationError(
                    f"statement {statement!r}: covariances ('~~') are not part of a PLS path "
                    "model specification"
                )
            if op in _OPERATORS:
                if lhs in indicators:
                    if modes[lhs] != _OPERATORS[op]:
                        raise SpecificationError(
                            f"construct {lhs!r} is declared both reflective and formative"
                        )
                    indicators[lhs].extend(terms)
                else:
                    indicators[lhs] = list(terms)
                    modes[lhs] = _OPERATORS[op]
            else:
                paths.extend((t, lhs) for t in terms)
        return cls.from_mapping(indicators, paths, modes=modes)

    # -- views ---------------------------------------------------------------------------
    def to_syntax(self) -> str:
        """The lavaan-like text of this spec (parses back to an equal spec)."""
        lines = [
            f"{c.name} {'=~' if c.mode == 'reflective' else '<~'} {' + '.join(c.indicators)}"
            for c in self.constructs
        ]
        for dst in self.construct_names:
            sources = [a for a, b in self.paths if b == dst]
            if sources:
                lines.append(f"{dst} ~ {' + '.join(sources)}")
        return "\n".join(lines)

    @property
    def construct_names(self) -> tuple[str, ...]:
        """Construct names in declaration order."""
        return tuple(c.name for c in self.constructs)

    @property
    def indicators(self) -> tuple[str, ...]:
        """All indicator columns, construct by construct."""
        return tuple(i for c in self.constructs for i in c.indicators)

    def get_construct(self, name: str) -> Construct:
        """The construct called ``name``."""
        for c in self.constructs:
            if c.name == name:
                return c
        raise SpecificationError(
            f"no construct named {name!r}; "
            f"constructs: {format_offenders(list(self.construct_names))}"
        )

    def predecessors(self, name: str) -> tuple[str, ...]:
        """Constructs with a path into ``name``."""
        return tuple(a for a, b in self.paths if b == name)

    def endogenous(self) -> tuple[str, ...]:
        """Constructs with at least one incoming path."""
        targets = {b for _, b in self.paths}
        return tuple(n for n in self.construct_names if n in targets)

    def check_columns(self, columns: Sequence[str], *, where: str = "the data") -> None:
        """Raise if an indicator is not among ``columns``, naming the construct.

        Examples
        --------
        >>> spec = ModelSpec.from_syntax("A =~ a1 + a2; B =~ b1; B ~ A")
        >>> spec.check_columns(["a1", "b1"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        csimodels.errors.SpecificationError: indicator 'a2' of construct 'A' is not a column...
        """
        available = set(columns)
        for c in self.constructs:
            missing = [i for i in c.indicators if i not in available]
            if missing:
                raise SpecificationError(
                    f"indicator {format_offenders(missing)} of construct {c.name!r} is not a "
                    f"column of {where}; check the spelling or map the construct to its own "
                    "columns"
                )

    def with_paths(
        self,
        *,
        add: Sequence[tuple[str, str]] = (),
        drop: Sequence[tuple[str, str]] = (),
    ) -> ModelSpec:
        """A copy with paths added and/or dropped (validated again).

        Examples
        --------
        >>> spec = ModelSpec.from_syntax("A =~ a1; B =~ b1; C =~ c1; B ~ A; C ~ B")
        >>> spec.with_paths(add=[("A", "C")]).paths
        (('A', 'B'), ('B', 'C'), ('A', 'C'))
        """
        add = _path_pairs(add, "add")
        drop = _path_pairs(drop, "drop")
        missing = [f"{a} -> {b}" for a, b in drop if (a, b) not in self.paths]
        if missing:
            raise SpecificationError(
                f"cannot drop {format_offenders(missing)}: not a path of this model"
            )
        dropped = {(a, b) for a, b in drop}
        kept = [p for p in self.paths if p not in dropped]
        added = [(a, b) for a, b in add]
        return ModelSpec(constructs=self.constructs, paths=(*kept, *added))


def _path_pairs(paths: object, what: str) -> tuple[tuple[str, str], ...]:
    """Paths as (from, to) pairs of strings, or a SpecificationError naming the bad one."""
    if isinstance(paths, (str, bytes, Mapping)) or not isinstance(paths, (Sequence, tuple)):
        raise SpecificationError(
            f"{what} must be a list of (from, to) pairs, e.g. [('Image', 'Satisfaction')], "
            f"got {type(paths).__name__}"
        )
    out = []
    for k, pair in enumerate(paths):
        if (
            isinstance(pair, (str, bytes))
            or not isinstance(pair, (Sequence, tuple))
            or len(pair) != 2
            or not all(isinstance(x, str) for x in pair)
        ):
            raise SpecificationError(
                f"{what}[{k}] must be a (from, to) pair of construct names, got {pair!r}"
            )
        out.append((pair[0], pair[1]))
    return tuple(out)


def _mode(value: str, construct: str) -> Mode:
    key = str(value).lower()
    if key not in _MODE_ALIASES:
        raise SpecificationError(
            f"mode {value!r} of construct {construct!r} is not a measurement mode; "
            "choose 'reflective' (Mode A) or 'formative' (Mode B)"
        )
    return "reflective" if _MODE_ALIASES[key] == "reflective" else "formative"


def _find_cycle(names: Sequence[str], paths: Sequence[tuple[str, str]]) -> list[str]:
    children: dict[str, list[str]] = {n: [] for n in names}
    for a, b in paths:
        children[a].append(b)
    state: dict[str, int] = dict.fromkeys(names, 0)  # 0 new, 1 on stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for child in children[node]:
            if state[child] == 1:
                return [*stack[stack.index(child) :], child]
            if state[child] == 0:
                found = visit(child)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for n in names:
        if state[n] == 0:
            found = visit(n)
            if found:
                return found
    return []


def topological_order(spec: ModelSpec) -> tuple[str, ...]:
    """Constructs ordered so that every path goes forward (ties in declaration order).

    Examples
    --------
    >>> topological_order(ModelSpec.from_syntax("B =~ b; A =~ a; B ~ A"))
    ('A', 'B')
    """
    remaining = list(spec.construct_names)
    done: list[str] = []
    while remaining:
        for n in remaining:
            if all(a in done for a in spec.predecessors(n)):
                done.append(n)
                remaining.remove(n)
                break
    return tuple(done)
