"""Translation of a :class:`ModelSpec` into semopy's model syntax (lavaan-like)."""

from __future__ import annotations

import re

from csimodels.errors import SpecificationError, format_offenders
from csimodels.sem.spec import ModelSpec

__all__ = ["spec_to_semopy"]

_SAFE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def spec_to_semopy(spec: ModelSpec) -> tuple[str, dict[str, str]]:
    """semopy syntax for ``spec`` and the aliases used for names semopy cannot parse.

    Every construct is a reflective latent variable (``C =~ x1 + x2``; the first
    indicator's loading is fixed to one, as lavaan's default); a single-indicator
    construct gets its indicator's error variance fixed to zero (``x ~~ 0*x``, what
    lavaan does automatically), so the construct *is* the indicator; every structural
    path is a regression (``Y ~ X1 + X2``). Exogenous constructs covary freely.
    Names that are not plain identifiers (spaces, Chinese characters...) are replaced
    by ``_L1``, ``_L2``... (constructs) and ``_x1``... (indicators); the returned dict
    maps alias to original name.

    Examples
    --------
    >>> spec = ModelSpec.from_syntax("A =~ a1 + a2; B =~ b1; B ~ A")
    >>> print(spec_to_semopy(spec)[0])
    A =~ a1 + a2
    B =~ b1
    b1 ~~ 0*b1
    B ~ A
    """
    formative = [c.name for c in spec.constructs if c.mode == "formative"]
    if formative:
        raise SpecificationError(
            f"construct {format_offenders(formative)} is formative (Mode B); covariance-based "
            "SEM here estimates reflective constructs only. Fit the model by PLS "
            "(method='pls'), or declare the construct reflective if its items are "
            "interchangeable measures of it"
        )
    aliases: dict[str, str] = {}
    names: dict[str, str] = {}
    n_latent = n_item = 0
    for c in spec.constructs:
        if _SAFE.fullmatch(c.name):
            names[c.name] = c.name
        else:
            n_latent += 1
            names[c.name] = f"_L{n_latent}"
            aliases[f"_L{n_latent}"] = c.name
    for item in spec.indicators:
        if _SAFE.fullmatch(item):
            names[item] = item
        else:
            n_item += 1
            names[item] = f"_x{n_item}"
            aliases[f"_x{n_item}"] = item
    clash = sorted(set(spec.construct_names) & set(spec.indicators))
    if clash:
        raise SpecificationError(
            f"{format_offenders(clash)} is both a construct and an indicator name; "
            "rename the construct"
        )
    lines: list[str] = []
    for c in spec.constructs:
        lines.append(f"{names[c.name]} =~ " + " + ".join(names[i] for i in c.indicators))
        if len(c.indicators) == 1:
            item = names[c.indicators[0]]
            lines.append(f"{item} ~~ 0*{item}")
    for dst in spec.construct_names:
        sources = spec.predecessors(dst)
        if sources:
            lines.append(f"{names[dst]} ~ " + " + ".join(names[s] for s in sources))
    return "\n".join(lines), aliases
