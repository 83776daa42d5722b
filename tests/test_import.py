"""A cheap ``import csimodels``: heavy dependencies load only when a method needs them.

The check runs in a fresh interpreter (a subprocess), so modules that other tests
imported do not count. Import time itself is printed by ``benchmarks/scaling.py``,
never asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys

LAZY = ("scipy.stats", "scipy.optimize", "semopy", "matplotlib", "dask", "sklearn", "joblib")


def _loaded_after(code: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_loads_no_heavy_dependency() -> None:
    loaded = _loaded_after("import csimodels")
    assert "csimodels" in loaded
    assert not (set(LAZY) & loaded), sorted(set(LAZY) & loaded)


def test_heavy_dependencies_load_when_used() -> None:
    # a bootstrap needs scipy.special (t and normal distributions), CB-SEM scipy.stats
    loaded = _loaded_after(
        "import csimodels as csi\n"
        "d = csi.datasets.load_example('acsi_demo')\n"
        "csi.ACSI(indicators=d.constructs).fit(d, bootstrap=20, random_state=1)"
    )
    assert "scipy.special" in loaded
    assert "scipy.stats" not in loaded
