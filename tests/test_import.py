"""A cheap ``import csimodels``: heavy dependencies load only when a method needs them.

The check runs in a fresh interpreter (a subprocess), so modules that other tests
imported do not count. Import time itself is printed by ``benchmarks/scaling.py``,
never asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

LAZY = (
    "scipy.stats",
    "scipy.optimize",
    "scipy.linalg",
    "scipy.special",
    "semopy",
    "matplotlib",
    "dask",
    "sklearn",
    "joblib",
    "statsmodels",
)


def _loaded_after(code: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],  # this checkout's csimodels
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


def test_json_of_a_family_not_yet_imported_loads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # the API loads lazily: reading a result must import its family on demand
    import csimodels as csi

    data = csi.datasets.load_example("acsi_demo")
    payload = tmp_path / "fce.json"
    res = csi.FCE(grades=["好", "中", "差"]).fit(
        data.frame.assign(q=1.0), weights=[1.0], items=["q"]
    )
    payload.write_text(res.to_json(), encoding="utf-8")
    loaded = _loaded_after(
        "import csimodels as csi, sys\n"
        "assert 'csimodels.fce' not in sys.modules\n"
        f"res = csi.result_from_json(open({str(payload)!r}, encoding='utf-8').read())\n"
        "assert type(res).__name__ == 'FCEResult'"
    )
    assert "csimodels.fce.result" in loaded


def test_import_is_lazy_but_complete() -> None:
    loaded = _loaded_after("import csimodels")
    assert "csimodels.sem" not in loaded and "csimodels.kano" not in loaded
    everything = _loaded_after(
        "import csimodels as csi\ncsi.load_all()\n[getattr(csi, n) for n in csi.__all__]"
    )
    assert {"csimodels.sem", "csimodels.kano", "csimodels.trends", "csimodels.events"} <= everything
