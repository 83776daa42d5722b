"""lavaan's parameter table for CB-SEM, from parsed syntax or a ModelSpec.

:func:`build_partable` adds what lavaan's ``sem()`` adds (the first loading of each
factor fixed to one unless ``std_lv``; free (residual) variances; free covariances
among exogenous latent variables and among the residuals of the purely dependent
ones; intercepts when there is a mean structure), replicates the model over groups,
applies ``group_equal`` and shared labels as equality constraints, and numbers the
free parameters. :func:`spec_to_statements` turns a
:class:`~csimodels.sem.spec.ModelSpec` into the same statements, so the CSI presets
and syntax models share one table and one engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from csimodels.errors import SpecificationError, format_offenders
from csimodels.sem._cbsem_syntax import (
    _NAME_RE,
    Modifier,
    ParsedModel,
    Statement,
    Term,
    _error,
    _number,
    expression_names,
)
from csimodels.sem.spec import ModelSpec

__all__ = [
    "GROUP_EQUAL",
    "ParRow",
    "ParTable",
    "build_partable",
    "spec_to_statements",
    "spec_to_syntax",
]

#: ``group_equal`` keywords and the parameters each constrains (lavaan's names).
GROUP_EQUAL: dict[str, str] = {
    "loadings": "factor loadings (=~)",
    "intercepts": "intercepts of the observed variables (~ 1)",
    "means": "means of the latent variables (~ 1)",
    "residuals": "residual variances of the observed variables",
    "residual.covariances": "residual covariances of the observed variables",
    "lv.variances": "(residual) variances of the latent variables",
    "lv.covariances": "(residual) covariances of the latent variables",
    "regressions": "regression coefficients (~)",
}

# ---------------------------------------------------------------------------------------
# the parameter table
# ---------------------------------------------------------------------------------------


@dataclass
class ParRow:
    """One parameter (free or fixed) in one group."""

    lhs: str
    op: str
    rhs: str
    group: int
    free: int = 0  # 0 fixed, else 1-based index into the free parameter vector
    value: float = float("nan")  # fixed value, or start value when free (NaN: default)
    label: str = ""
    user: bool = False
    line: int = 0
    kind: str = ""  # group_equal family, e.g. "loadings"


@dataclass
class ParTable:
    """The model as lavaan's parameter table, with the variables it involves."""

    rows: list[ParRow]
    observed: list[str]
    latent: list[str]
    n_groups: int
    n_free: int
    defined: list[tuple[str, str, int]]  # (name, expression, line)
    meanstructure: bool
    label_of_free: dict[int, str]
    n_equalities: int = 0
    #: observed exogenous covariates (only right of ``~``): lavaan's ``ov.x``, whose
    #: (co)variances and means are the sample ones (``fixed.x = TRUE``)
    ov_x: list[str] = field(default_factory=list)
    #: inequality constraints (``a > 0``, ``b1 < b2``, ``ab < 1`` on ``:=`` names):
    #: lavaan's ``cin``, fitted by :mod:`._cbsem_constraints`
    inequalities: list[Statement] = field(default_factory=list)

    def find(self, lhs: str, op: str, rhs: str, group: int = 1) -> ParRow | None:
        for row in self.rows:
            if row.group == group and row.op == op and _same(row, lhs, rhs):
                return row
        return None


def _same(row: ParRow, lhs: str, rhs: str) -> bool:
    if row.op == "~~":
        return {row.lhs, row.rhs} == {lhs, rhs}
    return row.lhs == lhs and row.rhs == rhs


def _variables(statements: list[Statement]) -> tuple[list[str], list[str]]:
    latent: list[str] = []
    for s in statements:
        if s.op == "=~":
            for name in s.lhs:
                if name not in latent:
                    latent.append(name)
    observed: list[str] = []

    def add(name: str) -> None:
        if name != "1" and name not in latent and name not in observed:
            observed.append(name)

    for s in statements:
        if s.op == "=~":
            for t in s.terms:
                add(t.name)
    for s in statements:
        for name in s.lhs:
            add(name)
        for t in s.terms:
            add(t.name)
    return observed, latent


def _kind(op: str, lhs: str, rhs: str, latent: set[str]) -> str:
    if op == "=~":
        return "loadings"
    if op == "~":
        return "regressions"
    if op == "~1":
        return "means" if lhs in latent else "intercepts"
    if lhs == rhs:
        return "lv.variances" if lhs in latent else "residuals"
    if lhs in latent and rhs in latent:
        return "lv.covariances"
    return "residual.covariances"


def build_partable(
    parsed: ParsedModel,
    *,
    n_groups: int = 1,
    std_lv: bool = False,
    meanstructure: bool = False,
    group_equal: tuple[str, ...] = (),
    group_partial: tuple[tuple[str, str, str], ...] = (),
    zero_residual: tuple[str, ...] = (),
) -> ParTable:
    """Add lavaan ``sem()``'s default parameters and number the free ones.

    Parameters
    ----------
    parsed : ParsedModel
    n_groups : int
    std_lv : bool
        Fix every latent (residual) variance to one and free every loading (lavaan's
        ``std.lv = TRUE``) instead of fixing the first loading to one.
    meanstructure : bool
        Add intercepts of the observed variables (free) and means of the latent
        variables (zero in the first group; free in the others when intercepts are
        equal across groups). Forced on by a ``~ 1`` term.
    group_equal : tuple of str
        Keys of :data:`GROUP_EQUAL` held equal across groups.
    group_partial : tuple of (lhs, op, rhs)
        Exceptions to ``group_equal`` (partial invariance).
    zero_residual : tuple of str
        Indicators whose residual variance is fixed to zero by default (the single
        indicator of a construct built from a :class:`ModelSpec`).

    Returns
    -------
    ParTable

    Examples
    --------
    >>> from csimodels.sem._cbsem_syntax import parse_syntax
    >>> pt = build_partable(parse_syntax("f =~ x1 + x2 + x3"))
    >>> [(r.lhs, r.op, r.rhs, r.free) for r in pt.rows][:3]
    [('f', '=~', 'x1', 0), ('f', '=~', 'x2', 1), ('f', '=~', 'x3', 2)]
    """
    statements = parsed.statements
    observed, latent = _variables(statements)
    lat = set(latent)
    unknown_eq = sorted(set(group_equal) - set(GROUP_EQUAL))
    if unknown_eq:
        raise SpecificationError(
            f"group_equal {format_offenders(unknown_eq)} unknown; use any of "
            f"{format_offenders(sorted(GROUP_EQUAL), limit=10)}"
        )
    if any(t.name == "1" for s in statements for t in s.terms):
        meanstructure = True
    # user rows, per group
    user: dict[tuple[str, str, str, int], tuple[ParRow, Modifier]] = {}
    first_loading: dict[str, str] = {}
    order: list[tuple[str, str, str]] = []
    for s in statements:
        for lhs in s.lhs:
            for t in s.terms:
                if len(t.modifiers) not in (1, n_groups):
                    raise _error(
                        s.line,
                        s.text,
                        f"c(...) has {len(t.modifiers)} entries but there are {n_groups} group(s)",
                    )
                if s.op == "~" and t.name == "1":
                    key3 = (lhs, "~1", "")
                elif s.op == "~~":
                    a, b = lhs, t.name
                    key3 = (a, "~~", b)
                    if (b, "~~", a) in order:
                        key3 = (b, "~~", a)
                else:
                    key3 = (lhs, s.op, t.name)
                if s.op == "=~":
                    if t.name == lhs:
                        raise _error(s.line, s.text, f"{lhs!r} cannot be its own indicator")
                    first_loading.setdefault(lhs, t.name)
                if s.op == "~" and t.name == lhs:
                    raise _error(s.line, s.text, f"{lhs!r} cannot be regressed on itself")
                if key3 in order:
                    raise _error(
                        s.line,
                        s.text,
                        f"the parameter {' '.join(k for k in key3 if k)} is declared twice",
                    )
                order.append(key3)
                for g in range(1, n_groups + 1):
                    mod = t.modifiers[0] if len(t.modifiers) == 1 else t.modifiers[g - 1]
                    row = ParRow(
                        key3[0],
                        key3[1],
                        key3[2],
                        g,
                        label=mod.label or "",
                        user=True,
                        line=s.line,
                        kind=_kind(key3[1], key3[0], key3[2], lat),
                    )
                    user[(*key3, g)] = (row, mod)
    # lavaan's variable roles
    eqs_y = {s_lhs for s in statements if s.op == "~" for s_lhs in s.lhs}
    eqs_x = {t.name for s in statements if s.op == "~" for t in s.terms if t.name != "1"}
    lv_ind = {t.name for s in statements if s.op == "=~" for t in s.terms if t.name in lat}
    lv_x = [v for v in latent if v not in eqs_y and v not in lv_ind]
    y_only = [
        v
        for v in observed + latent
        if v in eqs_y and v not in eqs_x and not _is_indicator(v, statements)
    ]
    ov_x = [
        v for v in observed if v in eqs_x and v not in eqs_y and not _is_indicator(v, statements)
    ]
    # loadings: the fixed first loading
    rows_by_key: list[tuple[str, str, str]] = list(order)
    extra: list[tuple[str, str, str]] = []

    def add_default(k: tuple[str, str, str]) -> None:
        if k in rows_by_key or k in extra:
            return
        if k[1] == "~~" and (k[2], "~~", k[0]) in rows_by_key + extra:
            return
        extra.append(k)

    for v in observed:
        add_default((v, "~~", v))
    for v in latent:
        add_default((v, "~~", v))
    for i, a in enumerate(lv_x):
        for b in lv_x[i + 1 :]:
            add_default((a, "~~", b))
    for i, a in enumerate(ov_x):
        for b in ov_x[i + 1 :]:
            add_default((a, "~~", b))
    for i, a in enumerate(y_only):
        for b in y_only[i + 1 :]:
            add_default((a, "~~", b))
    if meanstructure:
        for v in observed:
            add_default((v, "~1", ""))
        for v in latent:
            add_default((v, "~1", ""))
    keys = rows_by_key + extra
    rows: list[ParRow] = []
    for g in range(1, n_groups + 1):
        for k in keys:
            found = user.get((*k, g))
            if found is not None:
                row, mod = found
                if mod.fixed is not None:
                    row.value = mod.fixed
                    row.free = 0
                elif mod.free:
                    row.free = -1
                    if mod.start is not None:
                        row.value = mod.start
                else:
                    row.free = _default_free(k, lat, first_loading, std_lv, zero_residual)
                    if row.free == 0:
                        row.value = _default_value(k, lat, std_lv, g, group_equal)
                    elif mod.start is not None:
                        row.value = mod.start
                rows.append(row)
            else:
                row = ParRow(k[0], k[1], k[2], g, kind=_kind(k[1], k[0], k[2], lat))
                row.free = _default_free(k, lat, first_loading, std_lv, zero_residual)
                if k[1] == "~1" and k[0] in lat:
                    # latent means: fixed at zero, free in later groups with equal intercepts
                    free_mean = g > 1 and "intercepts" in group_equal
                    row.free = -1 if free_mean else 0
                if row.free == 0:
                    row.value = _default_value(k, lat, std_lv, g, group_equal)
                rows.append(row)
    # number the free parameters: labels and group_equal make classes
    parent = list(range(len(rows)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    by_label: dict[str, int] = {}
    n_eq = 0
    for i, row in enumerate(rows):
        if row.label:
            if row.label in by_label:
                union(by_label[row.label], i)
            else:
                by_label[row.label] = i
    partial = {(a, o, b) for a, o, b in group_partial}
    if n_groups > 1 and group_equal:
        first: dict[tuple[str, str, str], int] = {}
        for i, row in enumerate(rows):
            k = (row.lhs, row.op, row.rhs)
            if row.kind not in group_equal or k in partial or row.label:
                continue
            if row.group == 1 or k not in first:
                first.setdefault(k, i)
                continue
            union(first[k], i)
    # a class with a fixed member is fixed at that value
    fixed_value: dict[int, float] = {}
    for i, row in enumerate(rows):
        if row.free == 0:
            fixed_value.setdefault(root(i), row.value)
    index: dict[int, int] = {}
    label_of_free: dict[int, str] = {}
    members: dict[int, int] = {}
    for i, row in enumerate(rows):
        r = root(i)
        members[r] = members.get(r, 0) + 1
        if r in fixed_value:
            row.free = 0
            row.value = fixed_value[r]
            continue
        if r not in index:
            index[r] = len(index) + 1
        row.free = index[r]
        if row.label:
            label_of_free.setdefault(row.free, row.label)
    n_eq = sum(1 for r in members if members[r] > 1 and r not in fixed_value)
    _check_labels(rows, parsed)
    table = ParTable(
        rows=rows,
        observed=observed,
        latent=latent,
        n_groups=n_groups,
        n_free=len(index),
        defined=[(s.lhs[0], s.expression, s.line) for s in parsed.defined],
        meanstructure=meanstructure,
        label_of_free=label_of_free,
        n_equalities=n_eq,
        ov_x=list(ov_x),
    )
    _apply_constraints(table, parsed)
    return table


def _is_indicator(v: str, statements: list[Statement]) -> bool:
    return any(v == t.name for s in statements if s.op == "=~" for t in s.terms)


def _default_free(
    k: tuple[str, str, str],
    lat: set[str],
    first_loading: dict[str, str],
    std_lv: bool,
    zero_residual: tuple[str, ...],
) -> int:
    lhs, op, rhs = k
    if op == "=~":
        return -1 if std_lv or first_loading.get(lhs) != rhs else 0
    if op == "~~" and lhs == rhs:
        if lhs in lat and std_lv:
            return 0
        if lhs in zero_residual:
            return 0
    return -1


def _default_value(
    k: tuple[str, str, str], lat: set[str], std_lv: bool, group: int, group_equal: tuple[str, ...]
) -> float:
    lhs, op, rhs = k
    if op == "=~":
        return 1.0
    if op == "~~" and lhs == rhs:
        return 1.0 if lhs in lat and std_lv else 0.0
    return 0.0


def _check_labels(rows: list[ParRow], parsed: ParsedModel) -> None:
    """A label names one kind of parameter; ``:=`` and constraints name known labels."""
    kinds: dict[str, set[str]] = {}
    lines: dict[str, int] = {}
    for row in rows:
        if row.label:
            kinds.setdefault(row.label, set()).add(row.op)
            lines.setdefault(row.label, row.line)
    variables = {r.lhs for r in rows} | {r.rhs for r in rows if r.rhs}
    clash = sorted(label for label in kinds if label in variables)
    if clash:
        raise SpecificationError(
            f"model syntax line {lines[clash[0]]}: label {format_offenders(clash)} is also "
            "a variable name; labels must differ from variable names"
        )
    mixed = sorted(label for label, ops in kinds.items() if len(ops) > 1)
    if mixed:
        label = mixed[0]
        raise SpecificationError(
            f"model syntax line {lines[label]}: label {label!r} is used for different kinds "
            f"of parameters ({', '.join(sorted(kinds[label]))}); a shared label makes "
            "parameters equal, so give them one meaning or different labels"
        )
    known = set(kinds)
    for s in parsed.defined:
        for name in expression_names(s.expression):
            if name not in known:
                raise _error(
                    s.line,
                    s.text,
                    f"{name!r} is not a parameter label"
                    + (f" (labels: {format_offenders(sorted(known))})" if known else "")
                    + "; label a parameter with name*variable, or define it above",
                )
        known.add(s.lhs[0])
    defined = {s.lhs[0] for s in parsed.defined}
    for s in parsed.constraints:
        allowed = known if s.op in ("<", ">") else set(kinds)
        for name in expression_names(s.lhs[0]) + expression_names(s.expression):
            if name not in allowed:
                what = (
                    "a parameter label or a defined (:=) parameter"
                    if s.op in ("<", ">")
                    else "a parameter label; equality constraints name labelled parameters"
                )
                hint = ""
                if s.op == "==" and name in defined:
                    hint = " (a defined parameter can be bounded with '<' or '>', not fixed)"
                raise _error(s.line, s.text, f"{name!r} is not {what}{hint}")


def _apply_constraints(table: ParTable, parsed: ParsedModel) -> None:
    """``a == b`` merges two labels; ``a == 0.5`` fixes one; ``<`` / ``>`` are kept as
    inequality constraints (checked against the equalities once these are applied)."""
    for s in parsed.constraints:
        if s.op != "==":
            continue
        left, right = s.lhs[0].strip(), s.expression.strip()
        value = _number(right)
        if _NAME_RE.match(left) and value is not None:
            _fix_label(table, left, value)
        elif _NAME_RE.match(left) and _NAME_RE.match(right):
            _merge_labels(table, left, right)
        else:
            raise _error(
                s.line,
                s.text,
                "only simple equality constraints are supported ('a == b' or 'a == 0.5'); "
                "use one label for parameters that are equal",
            )
    inequalities = [s for s in parsed.constraints if s.op in ("<", ">")]
    if inequalities:
        from csimodels.sem._cbsem_constraints import check_inequalities

        table.inequalities = inequalities
        check_inequalities(table)


def _free_of(table: ParTable, label: str) -> int:
    for row in table.rows:
        if row.label == label:
            return row.free
    return 0  # pragma: no cover - labels checked before


def _renumber(table: ParTable, mapping: dict[int, int]) -> None:
    used = sorted({mapping.get(r.free, r.free) for r in table.rows if r.free})
    new = {old: k + 1 for k, old in enumerate(used)}
    labels: dict[int, str] = {}
    for row in table.rows:
        if row.free:
            row.free = new[mapping.get(row.free, row.free)]
            if row.label:
                labels.setdefault(row.free, row.label)
    table.label_of_free = labels
    table.n_free = len(used)


def _merge_labels(table: ParTable, a: str, b: str) -> None:
    fa, fb = _free_of(table, a), _free_of(table, b)
    if fa == 0 or fb == 0:
        fixed = next(r.value for r in table.rows if r.label in (a, b) and r.free == 0)
        for row in table.rows:
            if row.label in (a, b):
                row.free = 0
                row.value = fixed
        _renumber(table, {})
        return
    if fa != fb:
        table.n_equalities += 1
        _renumber(table, {fb: fa})


def _fix_label(table: ParTable, label: str, value: float) -> None:
    for row in table.rows:
        if row.label == label:
            row.free = 0
            row.value = value
    _renumber(table, {})


# ---------------------------------------------------------------------------------------
# ModelSpec → statements
# ---------------------------------------------------------------------------------------


def spec_to_statements(spec: ModelSpec) -> tuple[ParsedModel, tuple[str, ...]]:
    """The statements of a :class:`ModelSpec` as a reflective CB-SEM model.

    Every construct is a latent variable measured by its indicators (``C =~ x1 + x2``,
    first loading fixed to one); every path a regression between latent variables.
    The indicator of a single-indicator construct gets a zero residual variance (the
    construct *is* the indicator), returned as the second element. Names are taken
    as they are (spaces and Chinese characters included): no text round trip.

    Examples
    --------
    >>> spec = ModelSpec.from_syntax("A =~ a1 + a2; B =~ b1; B ~ A")
    >>> parsed, zero = spec_to_statements(spec)
    >>> [s.op for s in parsed.statements], zero
    (['=~', '=~', '~'], ('b1',))
    """
    formative = [c.name for c in spec.constructs if c.mode == "formative"]
    if formative:
        raise SpecificationError(
            f"construct {format_offenders(formative)} is formative (Mode B); covariance-based "
            "SEM here estimates reflective constructs only. Fit the model by PLS "
            "(method='pls'), or declare the construct reflective if its items are "
            "interchangeable measures of it"
        )
    clash = sorted(set(spec.construct_names) & set(spec.indicators))
    if clash:
        raise SpecificationError(
            f"{format_offenders(clash)} is both a construct and an indicator name; "
            "rename the construct"
        )
    statements: list[Statement] = []
    zero: list[str] = []
    for k, c in enumerate(spec.constructs, start=1):
        text = f"{c.name} =~ " + " + ".join(c.indicators)
        statements.append(
            Statement(k, text, [c.name], "=~", [Term(i, [Modifier()]) for i in c.indicators])
        )
        if len(c.indicators) == 1:
            zero.append(c.indicators[0])
    line = len(spec.constructs)
    for dst in spec.construct_names:
        sources = spec.predecessors(dst)
        if sources:
            line += 1
            text = f"{dst} ~ " + " + ".join(sources)
            statements.append(
                Statement(line, text, [dst], "~", [Term(s, [Modifier()]) for s in sources])
            )
    return ParsedModel(statements, [], []), tuple(zero)


def spec_to_syntax(spec: ModelSpec) -> str:
    """The lavaan syntax of :func:`spec_to_statements` (for display and for lavaan).

    Examples
    --------
    >>> print(spec_to_syntax(ModelSpec.from_syntax("A =~ a1 + a2; B =~ b1; B ~ A")))
    A =~ a1 + a2
    B =~ b1
    b1 ~~ 0*b1
    B ~ A
    """
    parsed, zero = spec_to_statements(spec)
    lines: list[str] = []
    for s in parsed.statements:
        lines.append(s.text)
        if s.op == "=~" and len(s.terms) == 1 and s.terms[0].name in zero:
            lines.append(f"{s.terms[0].name} ~~ 0*{s.terms[0].name}")
    return "\n".join(lines)
