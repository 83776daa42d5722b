"""A module imported on first use, so that ``import csimodels`` stays cheap.

``scipy.stats`` and ``scipy.optimize`` cost about a second at import; a module that
needs them in a few functions binds ``stats = lazy_module("scipy.stats")`` at the
top and uses ``stats.norm`` as usual: the import happens on the first attribute
access (``tests/test_import.py`` checks that ``import csimodels`` loads neither).

Examples
--------
>>> stats = lazy_module("scipy.stats")
>>> round(float(stats.norm.ppf(0.975)), 2)
1.96
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["lazy_module"]


class _LazyModule:
    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attribute)

    def __repr__(self) -> str:
        state = "loaded" if self._module is not None else "not loaded yet"
        return f"<lazy module {self._name!r} ({state})>"


def lazy_module(name: str) -> Any:
    """A stand-in for the module ``name`` that imports it on first attribute access."""
    return _LazyModule(name)
