"""lavaan model syntax for CB-SEM: the parser (statements, modifiers, expressions).

:func:`parse_syntax` reads lavaan's model syntax (``=~`` loadings, ``~`` regressions,
``~~`` variances and covariances, ``~ 1`` intercepts and means, ``:=`` defined
parameters, ``==`` equality constraints) with lavaan's modifiers (``0.5*x1`` fixed,
``NA*x1`` free, ``a*x1`` labels, ``start(0.5)*x1``, ``c(a, b)*x1`` one per group);
every error names the line of syntax at fault. :mod:`._cbsem_partable` turns the
statements into lavaan's parameter table.
"""

from __future__ import annotations

import ast
import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from csimodels.errors import SpecificationError

__all__ = [
    "Modifier",
    "ParsedModel",
    "Statement",
    "Term",
    "evaluate_expression",
    "expression_names",
    "parse_syntax",
]

_NAME = r"[^\W\d][\w.]*"
_NAME_RE = re.compile(rf"{_NAME}\Z")
_NUMBER_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")
_OPERATORS = ("=~", "~~", ":=", "==", "<", ">", "~")
_REFUSED = {
    "|": "thresholds ('|') are estimated from the data: declare the items with "
    "ordered=[...] instead of writing threshold lines",
    "~*~": "scaling factors ('~*~') are not supported",
    "<~": "composites ('<~') are not supported by covariance-based SEM here; fit the model by PLS",
}


@dataclass
class Modifier:
    """What a ``modifier*`` prefix says about one parameter in one group."""

    fixed: float | None = None
    free: bool = False  # NA*
    label: str | None = None
    start: float | None = None


@dataclass
class Term:
    """One right-hand side term: a variable (or ``1`` for an intercept) and its modifiers."""

    name: str
    modifiers: list[Modifier]  # one per group (length 1: same in every group)


@dataclass
class Statement:
    """One formula of the model syntax."""

    line: int
    text: str
    lhs: list[str]
    op: str
    terms: list[Term] = field(default_factory=list)
    expression: str = ""


@dataclass
class ParsedModel:
    """The statements of a model, its defined parameters and constraints."""

    statements: list[Statement]
    defined: list[Statement]
    constraints: list[Statement]


# ---------------------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------------------


def _error(line: int, text: str, message: str) -> SpecificationError:
    return SpecificationError(f"model syntax line {line} ({text.strip()!r}): {message}")


def _logical_lines(syntax: str) -> list[tuple[int, str]]:
    """Lines without comments, ``;`` split, continuation lines (ending or starting with
    an operator or ``+``) joined; each with the number of its first physical line."""
    out: list[tuple[int, str]] = []
    for number, raw in enumerate(syntax.splitlines(), start=1):
        text = re.split(r"[#!]", raw, maxsplit=1)[0]
        for part in text.split(";"):
            part = part.strip()
            if not part:
                continue
            if out and (
                re.search(r"(\+|\*|=~|~~|~|:=|==|,|\()\s*\Z", out[-1][1])
                or part.startswith(("+", "*"))
            ):
                out[-1] = (out[-1][0], out[-1][1] + " " + part)
            else:
                out.append((number, part))
    return out


def _split_operator(line: int, text: str) -> tuple[str, str, str]:
    for bad, why in _REFUSED.items():
        if bad in text:
            raise _error(line, text, why)
    positions = []
    for op in _OPERATORS:
        k = text.find(op)
        if k >= 0:
            positions.append((k, -len(op), op))
    if not positions:
        raise _error(
            line,
            text,
            "no operator found; a formula uses one of '=~' (loadings), '~' (regression), "
            "'~~' (variance/covariance), '~ 1' (intercept), ':=' (defined parameter), "
            "'==', '<' or '>' (constraints)",
        )
    k, neg, op = min(positions)
    return text[:k].strip(), op, text[k - neg :].strip()


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses."""
    parts: list[str] = []
    depth = 0
    cur = ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def _number(token: str) -> float | None:
    token = token.strip()
    if _NUMBER_RE.match(token):
        return float(token)
    return None


def _modifier_values(line: int, text: str, token: str) -> list[Modifier]:
    """One modifier token (``0.5``, ``NA``, ``a``, ``start(1)``, ``c(a, b)``, ...)."""
    token = token.strip()
    if token == "":
        raise _error(line, text, "empty modifier before '*'")
    m = re.fullmatch(r"(c|start|label|equal)\((.*)\)", token, flags=re.S)
    if m:
        kind, inner = m.group(1), m.group(2)
        items = [s.strip().strip("'\"") for s in _split_top(inner, ",")]
        mods: list[Modifier] = []
        for item in items:
            if kind == "start":
                value = _number(item)
                if value is None:
                    raise _error(line, text, f"start({item}) needs a number")
                mods.append(Modifier(start=value))
            elif kind in ("label", "equal"):
                if not _NAME_RE.match(item):
                    raise _error(line, text, f"{kind}({item!r}) needs a name")
                mods.append(Modifier(label=item))
            else:
                mods.extend(_modifier_values(line, text, item))
        return mods
    if token in ("NA", "NaN"):
        return [Modifier(free=True)]
    value = _number(token)
    if value is not None:
        return [Modifier(fixed=value)]
    if _NAME_RE.match(token):
        return [Modifier(label=token)]
    raise _error(
        line,
        text,
        f"cannot read the modifier {token!r}: write a number (fixed value), NA (free), "
        "a label, start(value) or c(...) with one entry per group",
    )


def _merge(a: list[Modifier], b: list[Modifier], line: int, text: str) -> list[Modifier]:
    if len(a) == 1 and len(b) > 1:
        a = a * len(b)
    if len(b) == 1 and len(a) > 1:
        b = b * len(a)
    if len(a) != len(b):
        raise _error(line, text, "c(...) modifiers of different lengths on one term")
    out = []
    for x, y in zip(a, b, strict=True):
        out.append(
            Modifier(
                fixed=y.fixed if y.fixed is not None else x.fixed,
                free=x.free or y.free,
                label=y.label or x.label,
                start=y.start if y.start is not None else x.start,
            )
        )
    return out


def _term(line: int, text: str, raw: str, op: str) -> Term:
    pieces = [p.strip() for p in _split_top(raw, "*")]
    name = pieces[-1]
    if name == "" or (name != "1" and not _NAME_RE.match(name)):
        raise _error(line, text, f"{raw.strip()!r} is not a variable name")
    if name == "1" and op != "~":
        raise _error(line, text, "'1' (an intercept) only goes with '~'")
    mods: list[Modifier] = [Modifier()]
    for token in pieces[:-1]:
        mods = _merge(mods, _modifier_values(line, text, token), line, text)
    return Term(name=name, modifiers=mods)


def parse_syntax(syntax: str) -> ParsedModel:
    """Parse lavaan model syntax.

    Parameters
    ----------
    syntax : str
        One formula per line (or separated by ``;``); ``#`` and ``!`` start comments.

    Returns
    -------
    ParsedModel

    Raises
    ------
    SpecificationError
        Naming the line and the problem (unknown operator, bad modifier...).

    Examples
    --------
    >>> m = parse_syntax("f =~ x1 + 0.5*x2 + a*x3\\nx1 ~~ x2\\nab := a*2")
    >>> [(s.lhs, s.op, [t.name for t in s.terms]) for s in m.statements]
    [(['f'], '=~', ['x1', 'x2', 'x3']), (['x1'], '~~', ['x2'])]
    >>> m.defined[0].lhs, m.defined[0].expression
    (['ab'], 'a*2')
    """
    if not isinstance(syntax, str) or not syntax.strip():
        raise SpecificationError("the model syntax is empty: write at least one formula")
    statements: list[Statement] = []
    defined: list[Statement] = []
    constraints: list[Statement] = []
    for line, text in _logical_lines(syntax):
        lhs_text, op, rhs_text = _split_operator(line, text)
        if op in (":=", "==", "<", ">"):
            if not lhs_text or not rhs_text:
                raise _error(line, text, f"{op!r} needs an expression on each side")
            if op == ":=":
                if not _NAME_RE.match(lhs_text):
                    raise _error(line, text, f"{lhs_text!r} is not a name for a defined parameter")
                _check_expression(line, text, rhs_text)
                defined.append(Statement(line, text, [lhs_text], op, expression=rhs_text))
            else:
                _check_expression(line, text, lhs_text)
                _check_expression(line, text, rhs_text)
                constraints.append(Statement(line, text, [lhs_text], op, expression=rhs_text))
            continue
        lhs = [s.strip() for s in lhs_text.split("+")]
        for name in lhs:
            if not _NAME_RE.match(name):
                raise _error(
                    line,
                    text,
                    f"{name!r} is not a variable name"
                    + (" (a left-hand side takes no modifiers)" if "*" in name else ""),
                )
        if not rhs_text:
            raise _error(line, text, f"nothing on the right of {op!r}")
        terms = [_term(line, text, raw, op) for raw in _split_top(rhs_text, "+")]
        statements.append(Statement(line, text, lhs, op, terms))
    if not statements:
        raise SpecificationError(
            "the model syntax has no '=~', '~' or '~~' formula: nothing to estimate"
        )
    return ParsedModel(statements, defined, constraints)


_ALLOWED_CALLS = {"sqrt", "exp", "log", "abs"}


def _check_expression(line: int, text: str, expr: str) -> None:
    try:
        tree = ast.parse(expr.replace("^", "**"), mode="eval")
    except SyntaxError:
        raise _error(line, text, f"cannot read the expression {expr!r}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in _ALLOWED_CALLS):
                raise _error(
                    line,
                    text,
                    f"only the functions {sorted(_ALLOWED_CALLS)} may be used in expressions",
                )
        elif not isinstance(
            node,
            (
                ast.Expression,
                ast.BinOp,
                ast.UnaryOp,
                ast.Name,
                ast.Constant,
                ast.Load,
                ast.operator,
                ast.unaryop,
            ),
        ):
            raise _error(line, text, f"cannot read the expression {expr!r}")


def expression_names(expr: str) -> list[str]:
    """The names an expression uses (labels or defined parameters), in order."""
    tree = ast.parse(expr.replace("^", "**"), mode="eval")
    seen: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in _ALLOWED_CALLS and node.id not in seen:
            seen.append(node.id)
    return seen


@functools.lru_cache(maxsize=4096)
def _expression_tree(expr: str) -> ast.Expression:
    return ast.parse(expr.replace("^", "**"), mode="eval")


def evaluate_expression(expr: str, values: dict[str, float]) -> float:
    """Value of an arithmetic expression with ``values`` for its names."""
    tree = _expression_tree(expr)
    funcs: dict[str, Callable[[float], float]] = {
        "sqrt": math.sqrt,
        "exp": math.exp,
        "log": math.log,
        "abs": abs,
    }

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return float(node.value) if isinstance(node.value, int | float) else float("nan")
        if isinstance(node, ast.Name):
            return float(values[node.id])
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            a, b = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.Div):
                return a / b if b != 0 else float("nan")
            if isinstance(node.op, ast.Pow):
                return float(a**b)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            arg = ev(node.args[0])
            try:
                return float(funcs[node.func.id](arg))
            except ValueError:
                return float("nan")
        raise ValueError("unsupported expression")  # pragma: no cover - checked on parse

    return ev(tree)
